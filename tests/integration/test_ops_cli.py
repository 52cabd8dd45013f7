"""Operator commands on the embedded broker: status, tail (masked), trace, dlq list/show/replay,
held list/release/expire. The router runs in-process (RouterCore, the same per-record logic as
the faust worker) so the test controls exactly what is on each topic."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hub.cli import main_group

pytestmark = pytest.mark.integration
BAD = '{"@context": ["x"], "type": "not a credential"}'


def lines(out: str) -> list[dict]:
    return [json.loads(x) for x in out.splitlines() if x.startswith("{")]


def cli(env, *args, code=0):
    r = CliRunner().invoke(main_group, list(args), env=env, catch_exceptions=False)
    assert r.exit_code == code, (args, r.output)
    return r


@pytest.fixture(scope="module")
def hub(broker_home, clean_env):
    """Ingest 8 credentials + 1 bad line, one garbage ingress record, route everything.

    Shared by the tests of this module (one setup); each test's assertions allow for what the
    others add (a replayed record, released and expired holds)."""
    import uuid

    from hub.config import load_settings
    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.observability.producing import OperatorProducer
    from hub.observability.reading import TopicReader
    from hub.routing.policy import load_partners
    from hub.routing.router import build_core
    from hub.runtime.topics import ensure_topics
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    hub_env = dict(clean_env, NQF_HUB_TOPIC_PREFIX="ops" + uuid.uuid4().hex[:8])
    s = load_settings(hub_env)
    ensure_topics(s, load_partners(s.partners_path))
    creds = list(sample_credentials(8, seed=11))
    doc = "\n".join([json.dumps(c) for c in creds] + [BAD]).encode()
    conn = registry.inbound("openbadges3")
    events = []

    def keep(items):
        for item, data in items:
            if data is not None:
                events.append(item.event)
            yield item, data
    summary = produce_all(s, keep(decode_sources(conn, [Source("load.jsonl", data=doc)], make_context(conn))),
                          connector="openbadges3")
    assert (summary.ingested, summary.rejected) == (8, 1)
    out = OperatorProducer(s)
    out.send(s.topic("ingress"), b"k-garbage", b"\x00garbage", [])
    out.flush()
    core = build_core(s)
    with TopicReader(s) as reader:
        for m in reader.read([s.topic("ingress")]):
            for o in core.route(m.value(), m.key(), (m.topic(), m.partition(), m.offset())):
                out.send(o.topic, o.key, o.value, o.headers)
    out.flush()
    return {"settings": s, "env": hub_env, "events": events, "creds": creds}


def test_status_reports_topics_dead_letters_and_held(hub):
    snap = lines(cli(hub["env"], "status", "--json").output)[0]
    s = hub["settings"]
    topics = {t["topic"]: t for t in snap["topics"]}
    assert topics[s.topic("ingress")]["records"] >= 9
    assert snap["dead_letters"]["total"] == 2
    assert {(b["stage"], b["reason_class"]) for b in snap["dead_letters"]["by"]} == {("ingest", "decode"),
                                                                                     ("router", "schema")}
    assert snap["held"]["open"] > 0
    assert "topics:" in cli(hub["env"], "status").output


def test_tail_masks_personal_data_unless_revealed(hub):
    names = {e["learner"]["family_name"] for e in hub["events"]}
    out = cli(hub["env"], "tail", "ingress", "--decode", "--from-beginning", "--json").output
    recs = lines(out)
    assert len(recs) >= 9
    assert not any(n in out for n in names)
    assert "***identity.name" in out
    held = cli(hub["env"], "tail", "held", "--decode", "--from-beginning", "--json").output
    assert lines(held) and "***identity.name" in held and not any(n in held for n in names)
    dl = cli(hub["env"], "tail", "deadletter", "--decode", "--from-beginning", "--json").output
    assert "not a credential" not in dl and "sha256" in dl
    revealed = cli(hub["env"], "tail", "ingress", "--decode", "--from-beginning", "--reveal", "-n", "9", "--json")
    assert any(n in revealed.output for n in names)
    assert "warning" in revealed.stderr
    assert len(lines(cli(hub["env"], "tail", "ingress", "-n", "3", "--json").output)) == 3


def test_trace_follows_an_event_across_stages(hub):
    ev = hub["events"][0]
    steps = lines(cli(hub["env"], "trace", ev["header"]["event_id"], "--json").output)
    stages = [st["stage"] for st in steps]
    assert stages[0] == "ingress" and "decision" in stages
    assert {"partner_topic", "held"} & set(stages)
    assert steps[0]["connector"] == "openbadges3"
    assert ev["learner"]["family_name"] not in json.dumps(steps)
    cli(hub["env"], "trace", "no-such-event", code=1)


def test_dlq_list_show_and_replay_with_lineage(hub):
    from hub.observability.reading import TopicReader, header_map
    env, s = hub["env"], hub["settings"]
    dls = lines(cli(env, "dlq", "list", "--json").output)
    assert {d["stage"] for d in dls} == {"ingest", "router"}
    router_dl = [d for d in dls if d["stage"] == "router"][0]
    ingest_dl = [d for d in dls if d["stage"] == "ingest"][0]
    assert ingest_dl["source"].startswith("load.jsonl") and "not a credential" not in json.dumps(dls)
    shown = lines(cli(env, "dlq", "show", ingest_dl["id"], "--json").output)[0]
    assert "not a credential" not in json.dumps(shown) and shown["record"]["value"]["sha256"]
    assert "not a credential" in cli(env, "dlq", "show", ingest_dl["id"], "--reveal", "--json").output

    res = lines(cli(env, "dlq", "replay", router_dl["id"], "--json", "--quiet").output)[-1]
    assert res["replayed"] == 1
    with TopicReader(s) as r:
        replayed = [m for m in r.read([s.topic("ingress")]) if "nqfhub.replay.count" in header_map(m)]
    assert len(replayed) == 1 and replayed[0].value() == b"\x00garbage" and replayed[0].key() == b"k-garbage"
    h = header_map(replayed[0])
    assert h["nqfhub.replay.count"] == "1" and h["nqfhub.replay.by"]
    assert h["nqfhub.replay.original"] == router_dl["original"]
    assert h["nqfhub.dlq.stage"] == "router"
    # the ingest dead letter is still bad: it is reported, not moved
    r = cli(env, "dlq", "replay", "--all", "--stage", "ingest", "--json", "--quiet", code=2)
    assert lines(r.output)[-1]["still_failing"] == 1
    cli(env, "dlq", "show", "0:999999", code=1)


def _answer_release_requests(hub):
    """The router's part of release / expire (it is the only writer of the audit chain): answer
    the requests on <prefix>.release in-process, as the faust router does."""
    from hub.observability.producing import OperatorProducer
    from hub.observability.reading import TopicReader
    from hub.routing.router import build_core
    s = hub["settings"]
    core = hub.setdefault("core", build_core(s))
    closed, pos = hub.setdefault("closed", {}), hub.setdefault("release_pos", {})
    out = OperatorProducer(s)
    with TopicReader(s) as r:
        for m in r.read([s.topic("release")], start=dict(pos)):
            pos[(m.topic(), m.partition())] = m.offset() + 1
            for o in core.release(m.value(), m.key(), (m.topic(), m.partition(), m.offset()), closed):
                out.send(o.topic, o.key, o.value, o.headers)
    out.flush()


def test_held_list_release_and_expire(hub):
    from hub.observability.reading import TopicReader, header_map
    env, s = hub["env"], hub["settings"]
    held = lines(cli(env, "held", "list", "--json").output)
    consent = [h for h in held if "consent" in h["waiting_for"]]
    assert len(consent) >= 2
    target, other = consent[0], consent[1]
    assert all(k in target for k in ("partner", "reason", "rule_ids", "age_s", "expires_at"))

    r = lines(cli(env, "held", "release", target["held_id"][:12], "--evidence", "consent:c-2026-1",
                  "--json").output)[0]
    assert r["released"] and r["decision"] in ("forward", "forward_minimised")
    _answer_release_requests(hub)
    with TopicReader(s) as rd:
        copies = [m for m in rd.read([s.topic(f"partner.{target['partner']}")])
                  if header_map(m).get("nqfhub.operator")]
        audits = [header_map(m) for m in rd.read([s.topic("audit")])
                  if header_map(m).get("nqfhub.action") == "release"]
    assert len(copies) == 1 and header_map(copies[0])["nqfhub.event_id"] == target["event_id"]
    assert audits and audits[0]["nqfhub.release.evidence"] == "consent"
    cli(env, "held", "release", target["held_id"], "--evidence", "consent:c-2026-1", code=1)   # already released

    cli(env, "held", "expire", other["held_id"])
    _answer_release_requests(hub)
    after = {h["held_id"] for h in lines(cli(env, "held", "list", "--json").output)}
    assert target["held_id"] not in after and other["held_id"] not in after
    assert len(after) == len(held) - 2
    states = {h["held_id"]: h["state"] for h in lines(cli(env, "held", "list", "--all", "--json").output)}
    assert states[target["held_id"]] == "release" and states[other["held_id"]] == "expire"
