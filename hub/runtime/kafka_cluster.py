"""A local 3-node Apache Kafka cluster (KRaft, SASL_SSL + SCRAM, ACLs) for tests, CI and benchmarks.

`start()` fetches the Kafka jars with Maven once (cached per version under
`$NQF_HUB_KAFKA_CACHE` or `~/.cache/nqf-hub/kafka-<version>`), creates a throwaway CA, a broker
certificate and one SCRAM user per hub service (random passwords, files mode 0600), formats the
storage of three combined broker+controller nodes on loopback (replication 3, min.insync.replicas
2), starts them, waits until all three serve clients, and applies the per-service ACLs of
hub.runtime.kafka_acls. Everything lives in `$NQF_HUB_HOME/kafka-cluster/`; a second `start`
starts only the nodes that are down (after a crash or `stop --node`), with their data.

For each user an env file `env/<user>.env` holds the NQF_HUB_* settings a client needs; the
password is referenced by file (NQF_HUB_SASL_PASSWORD_FILE), never printed.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from hub.config import Settings
from hub.errors import BrokerError, ConfigError
from hub.runtime.broker import free_port
from hub.runtime.kafka_acls import ADMIN, SERVICES, apply_acls, service_acls
from hub.runtime.kafka_certs import BROKER_CN, write_certs

KAFKA_VERSION = "4.4.0"
NODES = (1, 2, 3)
HEAP = os.environ.get("NQF_HUB_KAFKA_HEAP", "512m")
USERS = (ADMIN, *SERVICES)
MECHANISM = "SCRAM-SHA-512"

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>nqf-hub</groupId><artifactId>nqf-hub-kafka-cluster</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{deps}
  </dependencies>
</project>
"""
ARTIFACTS = ("kafka_2.13", "kafka-server", "kafka-raft", "kafka-storage", "kafka-metadata",
             "kafka-group-coordinator", "kafka-transaction-coordinator", "kafka-share-coordinator",
             "kafka-tools")
EXTRA = (("org.apache.logging.log4j", "log4j-slf4j-impl", "2.25.5"),)

LOG4J = """Configuration:
  name: nqf-hub-kafka
  Appenders:
    Console: {name: STDOUT, PatternLayout: {pattern: "[%d] %p %m (%c)%n"}}
  Loggers:
    Root: {level: WARN, AppenderRef: [{ref: STDOUT}]}
    Logger:
      - {name: kafka.server.KafkaRaftServer, level: INFO}
      - {name: kafka.server.BrokerServer, level: INFO}
"""


def cache_dir(version: str = KAFKA_VERSION) -> Path:
    base = os.environ.get("NQF_HUB_KAFKA_CACHE")
    if base:
        return Path(base).expanduser() / f"kafka-{version}"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "nqf-hub" / f"kafka-{version}"


def fetch(version: str = KAFKA_VERSION, log=print) -> Path:
    """The folder of Kafka jars; runs Maven only when the cache for `version` is incomplete."""
    d = cache_dir(version)
    libs = d / "libs"
    if (d / "complete").exists() and (libs / f"kafka_2.13-{version}.jar").exists():
        return libs
    mvn = shutil.which("mvn")
    if not mvn:
        raise ConfigError("Maven (mvn) is needed to fetch Apache Kafka: apt-get install maven "
                          "openjdk-17-jre-headless")
    d.mkdir(parents=True, exist_ok=True)
    deps = [("org.apache.kafka", a, version) for a in ARTIFACTS] + list(EXTRA)
    (d / "pom.xml").write_text(POM.format(deps="\n".join(
        f"    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
        f"</dependency>" for g, a, v in deps)))
    tmp = d / "libs.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"fetching Apache Kafka {version} with Maven into {libs} (once) ...")
    r = subprocess.run([mvn, "-q", "-B", "-f", str(d / "pom.xml"), "dependency:copy-dependencies",
                        "-DincludeScope=runtime", f"-DoutputDirectory={tmp}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise BrokerError(f"mvn could not fetch Apache Kafka {version} (exit {r.returncode}): "
                          f"{(r.stdout + r.stderr).strip()[-800:]}")
    # reload4j comes with kafka-tools' dependencies; log4j2 is the broker's logging backend
    for jar in tmp.glob("*reload4j*.jar"):
        jar.unlink()
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    (d / "complete").write_text(version)
    return libs


# ---- layout and state --------------------------------------------------------------------------
def cluster_dir(settings: Settings) -> Path:
    return Path(settings.home) / "kafka-cluster"


def _state_path(settings: Settings) -> Path:
    return cluster_dir(settings) / "cluster.json"


def read_state(settings: Settings) -> dict | None:
    p = _state_path(settings)
    try:
        return json.loads(p.read_text()) if p.exists() else None
    except ValueError:
        return None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _pid_alive(pid: int | None, marker: str) -> bool:
    """Is `pid` running and is it our JVM (its command line names `marker`)?"""
    if not pid:
        return False
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        stat = Path(f"/proc/{pid}/stat").read_text().split()
    except OSError:
        return False
    return marker in cmd and len(stat) > 2 and stat[2] != "Z"


def client_settings(state: dict, user: str) -> dict:
    """The NQF_HUB_* variables a client of the cluster needs (the password by file)."""
    d = Path(state["dir"])
    return {
        "NQF_HUB_BOOTSTRAP": state["bootstrap"],
        "NQF_HUB_PROFILE": "kafka",
        "NQF_HUB_REPLICATION_FACTOR": "3",
        "NQF_HUB_SECURITY_PROTOCOL": "SASL_SSL",
        "NQF_HUB_SASL_MECHANISM": MECHANISM,
        "NQF_HUB_SASL_USERNAME": user,
        "NQF_HUB_SASL_PASSWORD_FILE": str(d / "users" / user),
        "NQF_HUB_SSL_CA_FILE": str(d / "tls" / "ca.pem"),
    }


def _node_properties(state: dict, n: int, admin_password: str) -> str:
    d = Path(state["dir"])
    port, cport = state["ports"][str(n)], state["controller_ports"][str(n)]
    voters = ",".join(f"{i}@127.0.0.1:{state['controller_ports'][str(i)]}" for i in NODES)
    jaas = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
            f'username="{ADMIN}" password="{admin_password}";')
    props = {
        "process.roles": "broker,controller",
        "node.id": n,
        "controller.quorum.voters": voters,
        "listeners": f"CLIENT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"CLIENT://127.0.0.1:{port}",
        "listener.security.protocol.map": "CLIENT:SASL_SSL,CONTROLLER:SSL",
        "inter.broker.listener.name": "CLIENT",
        "controller.listener.names": "CONTROLLER",
        "sasl.enabled.mechanisms": "SCRAM-SHA-512,SCRAM-SHA-256",
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.client.scram-sha-512.sasl.jaas.config": jaas,
        "listener.name.client.scram-sha-256.sasl.jaas.config": jaas,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": d / "tls" / "broker.pem",
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": d / "tls" / "ca.pem",
        "listener.name.controller.ssl.client.auth": "required",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN};User:CN={BROKER_CN}",
        "allow.everyone.if.no.acl.found": "false",
        "log.dirs": d / f"node-{n}" / "data",
        "num.partitions": 4,
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
        "offsets.topic.replication.factor": 3,
        "offsets.topic.num.partitions": 12,
        "transaction.state.log.replication.factor": 3,
        "transaction.state.log.min.isr": 2,
        "transaction.state.log.num.partitions": 4,
        "share.coordinator.state.topic.replication.factor": 3,
        "share.coordinator.state.topic.min.isr": 2,
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": 0,
        "num.network.threads": 2,
        "num.io.threads": 2,
        "background.threads": 2,
        "num.recovery.threads.per.data.dir": 1,
        "log.cleaner.threads": 1,
        "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
        "log.segment.bytes": 64 * 1024 * 1024,
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def _prepare(settings: Settings, log) -> dict:
    """Create certificates, users, configs and formatted storage (only what is missing)."""
    d = cluster_dir(settings)
    state = read_state(settings)
    if state and all((d / f"node-{n}" / "data" / "meta.properties").exists() for n in NODES):
        return state
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    (d / "users").mkdir(mode=0o700)
    used: set[int] = set()

    def port():
        while True:
            p = free_port()
            if p not in used:
                used.add(p)
                return p
    state = {"dir": str(d), "version": KAFKA_VERSION, "cluster_id": _kafka_uuid(),
             "ports": {str(n): port() for n in NODES},
             "controller_ports": {str(n): port() for n in NODES}, "pids": {}}
    state["bootstrap"] = ",".join(f"127.0.0.1:{state['ports'][str(n)]}" for n in NODES)
    write_certs(d / "tls")
    passwords = {u: secrets.token_urlsafe(24) for u in USERS}
    for u, pw in passwords.items():
        _write_private(d / "users" / u, pw)
    (d / "log4j2.yaml").write_text(LOG4J)
    libs = fetch(log=log)
    scram = []
    for u, pw in passwords.items():
        for mech in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
            scram += ["--add-scram", f"{mech}=[name={u},password={pw}]"]
    for n in NODES:
        props = d / f"node-{n}" / "server.properties"
        _write_private(props, _node_properties(state, n, passwords[ADMIN]))
        r = subprocess.run(_java(d, libs, n, 256) + ["kafka.tools.StorageTool", "format", "-t",
                           state["cluster_id"], "-c", str(props), *scram],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BrokerError(f"formatting node {n} failed (exit {r.returncode}): "
                              f"{(r.stdout + r.stderr).strip()[-600:]}")
    _save(settings, state)
    return state


def _kafka_uuid() -> str:
    import base64
    import uuid
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _java(d: Path, libs: Path, n: int, heap_mb: int | None = None) -> list[str]:
    heap = f"{heap_mb}m" if heap_mb else HEAP
    return ["java", f"-Xmx{heap}", f"-Xms{min(256, int(heap.rstrip('m')) if heap.endswith('m') else 256)}m",
            "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:ActiveProcessorCount=2",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={d / 'log4j2.yaml'}",
            f"-Dnqfhub.cluster={d}/node-{n}", "-cp", f"{libs}/*"]


def _save(settings: Settings, state: dict) -> None:
    p = _state_path(settings)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, p)


def _marker(state: dict, n: int) -> str:
    return f"-Dnqfhub.cluster={state['dir']}/node-{n}"


def start(settings: Settings, nodes=NODES, timeout: float = 120.0, log=print) -> dict:
    """Start the nodes that are not running; wait for all of them; apply ACLs. Returns state."""
    state = _prepare(settings, log)
    d = Path(state["dir"])
    libs = fetch(log=log)
    admin_pw = (d / "users" / ADMIN).read_text()
    started = []
    for n in nodes:
        if _pid_alive(state["pids"].get(str(n)), _marker(state, n)):
            continue
        _write_private(d / f"node-{n}" / "server.properties", _node_properties(state, n, admin_pw))
        out = open(d / f"node-{n}" / "server.log", "ab")
        proc = subprocess.Popen(_java(d, libs, n) + ["kafka.Kafka", str(d / f"node-{n}" / "server.properties")],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        out.close()
        state["pids"][str(n)] = proc.pid
        started.append(n)
    _save(settings, state)
    state["started"] = started
    try:
        _wait_ready(state, settings, timeout)
        _apply_acls(state, settings)
    except BrokerError:
        stop(settings, nodes=tuple(started))     # leave nothing half-started behind
        raise
    write_env_files(state)
    return state


def admin_settings(state: dict, settings: Settings) -> Settings:
    env = client_settings(state, ADMIN)
    return settings.with_(bootstrap=env["NQF_HUB_BOOTSTRAP"], profile="kafka",
                          security_protocol="SASL_SSL", sasl_mechanism=MECHANISM, sasl_username=ADMIN,
                          sasl_password_file=Path(env["NQF_HUB_SASL_PASSWORD_FILE"]),
                          ssl_ca_file=Path(env["NQF_HUB_SSL_CA_FILE"]))


def _wait_ready(state: dict, settings: Settings, timeout: float) -> None:
    from confluent_kafka.admin import AdminClient

    from hub.runtime.kafka import admin_config
    cfg = {**admin_config(admin_settings(state, settings)), "log_level": 0}
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        for n in NODES:
            if str(n) in state["pids"] and not _pid_alive(state["pids"][str(n)], _marker(state, n)):
                raise BrokerError(f"Kafka node {n} exited during start; see "
                                  f"{state['dir']}/node-{n}/server.log")
        try:
            md = AdminClient(cfg).list_topics(timeout=5)
            if len(md.brokers) == len(NODES):
                return
            last = f"{len(md.brokers)} of {len(NODES)} brokers registered"
        except Exception as e:  # KafkaException while the nodes elect a leader
            last = e.__class__.__name__
        time.sleep(1.0)
    raise BrokerError(f"the Kafka cluster did not become ready within {timeout:.0f}s ({last}); "
                      f"see {state['dir']}/node-*/server.log")


def _apply_acls(state: dict, settings: Settings) -> None:
    apply_acls(admin_settings(state, settings), service_acls(settings))


def write_env_files(state: dict) -> None:
    for u in USERS:
        env = client_settings(state, u)
        _write_private(Path(state["dir"]) / "env" / f"{u}.env",
                       "".join(f"export {k}={v}\n" for k, v in env.items()))


def stop(settings: Settings, nodes=NODES, sig: int = signal.SIGTERM, wipe: bool = False,
         grace: float = 60.0) -> list[int]:
    """Stop the given nodes (SIGTERM: controlled shutdown; SIGKILL: a crash). Returns the stopped."""
    state = read_state(settings)
    if not state:
        return []
    stopped = []
    for n in nodes:
        pid = state["pids"].get(str(n))
        if _pid_alive(pid, _marker(state, n)):
            os.kill(pid, sig)
            stopped.append(n)
    deadline = time.monotonic() + grace
    for n in stopped:
        pid = state["pids"][str(n)]
        while _pid_alive(pid, _marker(state, n)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(pid, _marker(state, n)):
            os.kill(pid, signal.SIGKILL)
        _reap(pid)
    if wipe:
        if any(_pid_alive(state["pids"].get(str(n)), _marker(state, n)) for n in NODES):
            raise ConfigError("cannot wipe the cluster while nodes are running: stop all first")
        shutil.rmtree(state["dir"], ignore_errors=True)
    return stopped


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def status(settings: Settings) -> dict:
    state = read_state(settings)
    if not state:
        return {"running": False, "nodes": {}, "reachable": False}
    nodes = {n: {"pid": state["pids"].get(str(n)), "port": state["ports"][str(n)],
                 "running": _pid_alive(state["pids"].get(str(n)), _marker(state, n))} for n in NODES}
    reachable = False
    brokers = 0
    if any(v["running"] for v in nodes.values()):
        from confluent_kafka.admin import AdminClient

        from hub.runtime.kafka import admin_config
        try:
            md = AdminClient({**admin_config(admin_settings(state, settings)), "log_level": 0}) \
                .list_topics(timeout=5)
            brokers = len(md.brokers)
            reachable = True
        except Exception:
            pass
    return {"running": all(v["running"] for v in nodes.values()), "nodes": nodes,
            "reachable": reachable, "brokers": brokers, "bootstrap": state["bootstrap"],
            "dir": state["dir"], "version": state["version"]}
