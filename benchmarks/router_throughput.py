"""Router throughput: the faust router against a hand-written confluent-kafka loop, same run.

Both read the same N pre-produced canonical CredentialIssued events (from the demo's OB3 sample
generator, decoded by the openbadges3 connector) from their own copy of the input topic, and do
the same work per record: Avro decode -> policy decision per subscribed partner -> encode ->
produce partner copy / held record (+ its learner-keyed copy for the consent join) / audit
record linked into the hash chain of its partition, and one signed seal per audit partition per
batch. The baseline is `RouterCore.route` inside a confluent-kafka consume/produce loop; the hub
is `nqf-hub router` (faust) as a separate process, which also runs the consent-join agent over
the held records; the baseline runs the same join step in-process on the records it re-keys.

Rate = N / (CreateTime of the last audit record - CreateTime of the first), read back from each
run's audit topic, so group-join waits and process start-up are excluded the same way for both.

With --workers 1,2 the hub runs once per count (1 router process, then 2 in one consumer group,
each on its own topic prefix); every ratio is against the one baseline measured in the same run.
Without --bootstrap it starts the embedded broker under a temporary home; with --bootstrap it
uses that cluster, with the client settings (NQF_HUB_* security variables, replication factor)
from the environment, and unique topic prefixes per run (nothing is deleted afterwards).

    python benchmarks/router_throughput.py [--events 20000] [--workers 1,2] [--json]
    python benchmarks/router_throughput.py --bootstrap 127.0.0.1:19092 --workers 1,2

Last stdout line: {"hub_events_per_s", "baseline_events_per_s", "ratio", "runs": [{"router_workers",
"hub_events_per_s", "ratio"}, ...], ...} (the top-level hub figures are those of the first count).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def make_events(n: int) -> list[tuple[bytes, bytes]]:
    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.keys import subject_key
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    tmp = Path(tempfile.mkdtemp()) / "in.jsonl"
    with open(tmp, "w") as f:
        for c in sample_credentials(n, seed=11):
            f.write(json.dumps(c) + "\n")
    conn = registry.inbound("openbadges3")
    out = []
    for item, data in decode_sources(conn, [Source.from_path(tmp)], make_context(conn)):
        if data is not None:
            out.append((subject_key(item.event).encode(), data))
    return out


def produce(settings, topic: str, events) -> None:
    from confluent_kafka import Producer

    from hub.runtime.kafka import producer_config
    p = Producer(producer_config(settings, **{"linger.ms": 20}))
    for k, v in events:
        while True:
            try:
                p.produce(topic, value=v, key=k)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(60) == 0


def audit_span(settings, expected: int, timeout: float) -> tuple[float, int]:
    """Wait until `expected` audit records exist; return (seconds between first and last, count)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from hub.runtime.kafka import consumer_config
    c = Consumer(consumer_config(settings, "bench-watch-" + settings.topic_prefix))
    t = settings.topic("audit")
    md = c.list_topics(timeout=10)
    c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for p in md.topics[t].partitions])
    first, last, n = None, None, 0
    deadline = time.monotonic() + timeout
    while n < expected and time.monotonic() < deadline:
        for m in c.consume(5000, timeout=0.5):
            if m.error() or ("nqfhub.record", b"seal") in (m.headers() or []):
                continue
            ts = m.timestamp()[1] / 1000.0
            first = ts if first is None else min(first, ts)
            last = ts if last is None else max(last, ts)
            n += 1
    c.close()
    if n < expected:
        raise SystemExit(f"only {n}/{expected} audit records within {timeout}s")
    log(f"  {t}: {n} audit records, CreateTime span {first:.3f} .. {last:.3f} = {last - first:.3f}s")
    return max(last - first, 1e-3), n


def baseline(settings, n: int) -> None:
    """Hand-written loop doing the router process's work: consume -> RouterCore.route (audit
    chain, learner re-keying for the consent join) -> produce; the consent join's step over the
    re-keyed held records (in-process here, a second agent reading <prefix>.consent-join in the
    hub); one signed seal per audit partition per batch -> flush -> commit."""
    from confluent_kafka import Consumer, Producer, TopicPartition

    from hub.routing.app import audit_keys
    from hub.routing.audit_chain import ChainWriter
    from hub.routing.router import Output, build_core
    from hub.runtime.kafka import consumer_config, producer_config
    signing_key, learner_secret = audit_keys(settings)
    core = build_core(settings, learner_secret=learner_secret)
    chain = ChainWriter()
    from hub.routing.consent import JoinProcessor
    join, joins, t_join = JoinProcessor(settings, core.serde), {}, settings.topic("consent-join")
    c = Consumer(consumer_config(settings, settings.topic_prefix + "-router"))
    p = Producer(producer_config(settings))
    c.subscribe([settings.topic("ingress")])
    t_audit = settings.topic("audit")

    def send(o):
        kw = {} if o.partition is None else {"partition": o.partition}
        while True:
            try:
                p.produce(o.topic, value=o.value, key=o.key, headers=o.headers, **kw)
                return
            except BufferError:
                p.poll(0.01)

    seen = 0
    while seen < n:
        msgs = c.consume(1000, timeout=0.5)
        offsets = {}
        for m in msgs:
            if m.error():
                continue
            seen += 1
            for o in core.route(m.value(), m.key(), (m.topic(), m.partition(), m.offset()), {}, chain=chain):
                send(o)
                if o.topic == t_join:   # the consent join's step, in-process (the hub: 2nd agent)
                    for j in join.step(joins, o.key, 0, o.value, o.headers, dt.datetime.now(dt.timezone.utc)):
                        send(j)
            offsets[(m.topic(), m.partition())] = m.offset() + 1
            p.poll(0)
        for part, seal in chain.seals(signing_key):
            send(Output(t_audit, b"seal", core.serde.encode(seal, "nqfhub.internal.AuditSeal"),
                        [("nqfhub.record", b"seal")], part))
        if offsets:
            assert p.flush(30) == 0
            c.commit(offsets=[TopicPartition(t, q, o) for (t, q), o in offsets.items()], asynchronous=False)
    c.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--workers", default="1",
                    help="router process counts to run the hub with, comma-separated (e.g. 1,2); "
                         "the baseline is one loop")
    ap.add_argument("--bootstrap", help="host:port,... of a Kafka cluster (default: the embedded broker)")
    ap.add_argument("--json", action="store_true", help="(the last line is JSON in any case)")
    args = ap.parse_args()

    from hub.config import load_settings
    from hub.routing.policy import load_partners
    from hub.routing.router import build_core
    from hub.runtime import broker
    from hub.runtime.topics import ensure_topics

    counts = [int(x) for x in str(args.workers).split(",")]
    home = Path(tempfile.mkdtemp(prefix="nqfhub-bench-"))
    if args.bootstrap:      # the cluster's client settings come from the environment
        env = {k: v for k, v in os.environ.items() if k not in ("NQF_HUB_HOME", "NQF_HUB_TOPIC_PREFIX")}
        env["NQF_HUB_BOOTSTRAP"] = args.bootstrap
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NQF_HUB_")}
    env["NQF_HUB_HOME"] = str(home)
    base = load_settings(env)
    if not args.bootstrap:
        broker.start(base)
    from hub.recognition.signing import KeyStore
    KeyStore(home).generate()   # the router signs audit seals and refuses to start without a key
    run_id = f"{int(time.time()) % 10**7}"
    procs = []
    try:
        events = make_events(args.events)
        n = len(events)
        core = build_core(base)
        expected_audit = sum(1 for v in events for o in core.route(v[1], v[0]) if o.topic == base.topic("audit"))
        partners = load_partners(base.partners_path)
        log(f"{n} events, {len(partners)} partners, {expected_audit} decisions expected, "
            f"broker {args.bootstrap or 'embedded'}")

        # baseline
        sb = base.with_(topic_prefix=f"benchbase{run_id}")
        ensure_topics(sb, partners)
        produce(sb, sb.topic("ingress"), events)
        baseline(sb, n)
        b_span, _ = audit_span(sb, expected_audit, args.timeout)
        b_rate = n / b_span
        log(f"baseline: {b_rate:,.0f} events/s")

        # hub (faust) as its own process(es), like production
        runs = []
        for workers in counts:
            prefix = f"benchhub{run_id}w{workers}"
            sh = base.with_(topic_prefix=prefix)
            ensure_topics(sh, partners)
            produce(sh, sh.topic("ingress"), events)
            henv = dict(env, NQF_HUB_TOPIC_PREFIX=prefix)
            logf = open(home / f"router-{workers}.log", "wb")
            started = [subprocess.Popen([sys.executable, "-m", "hub", "router"], env=henv,
                                        stdout=logf, stderr=subprocess.STDOUT) for _ in range(workers)]
            procs.extend(started)
            h_span, _ = audit_span(sh, expected_audit, args.timeout)
            h_rate = n / h_span
            log(f"hub (faust), {workers} router process(es): {h_rate:,.0f} events/s")
            runs.append({"router_workers": workers, "hub_events_per_s": round(h_rate),
                         "ratio": round(h_rate / b_rate, 3)})
            stop(started)
        first = runs[0]
        print(json.dumps({"hub_events_per_s": first["hub_events_per_s"], "baseline_events_per_s": round(b_rate),
                          "ratio": first["ratio"], "router_workers": first["router_workers"], "runs": runs,
                          "events": n, "decisions": expected_audit, "partners": len(partners),
                          "broker": args.bootstrap or "embedded"}))
    finally:
        stop(procs)
        if not args.bootstrap:
            broker.stop(base)


def stop(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
