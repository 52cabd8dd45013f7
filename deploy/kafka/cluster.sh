#!/usr/bin/env bash
# A local 3-node Apache Kafka 4.4 cluster (KRaft, SASL_SSL + SCRAM, per-service ACLs) on loopback.
#   deploy/kafka/cluster.sh start    fetch Kafka with Maven once, start, print the client settings
#   deploy/kafka/cluster.sh stop     [--node N] [--kill] [--wipe]
#   deploy/kafka/cluster.sh status | env --user router | acls [--kafka-acls]
# Same as `nqf-hub cluster ...`; needs Java 17 and Maven. State: $NQF_HUB_HOME/kafka-cluster/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="${NQF_HUB_PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py=python3
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$py" -m hub cluster "$@"
