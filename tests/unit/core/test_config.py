from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_settings
from hub.errors import ConfigError, UnknownSettingError


def test_defaults_and_embedded_profile(tmp_path):
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    assert s.home == tmp_path and s.bootstrap is None
    assert s.consumer_profile.name == "embedded"
    assert s.consumer_profile.librdkafka()["session.timeout.ms"] == 6000
    assert s.topic("ingress") == "hub.ingress"


def test_bootstrap_switches_to_kafka_profile(tmp_path):
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAP": "k:9092"})
    assert s.consumer_profile.name == "kafka"


def test_unknown_env_key_lists_known_ones(tmp_path):
    with pytest.raises(UnknownSettingError) as e:
        load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAPP": "x"})
    assert "NQF_HUB_BOOTSTRAP" in str(e.value)


def test_test_suite_switches_are_not_settings(tmp_path):
    # `NQF_HUB_RUN_CHAOS=1 pytest tests/integration/test_chaos.py` (README): every load_settings()
    # in the test process and its hub subprocesses must still start
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_RUN_CHAOS": "1", "NQF_HUB_TEST_BOOTSTRAP": "k:1"})
    assert s.bootstrap is None


def test_config_file_and_precedence(tmp_path):
    (tmp_path / "config.yaml").write_text("topic_prefix: acme\npartitions: 8\n")
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_PARTITIONS": "2"})
    assert s.topic_prefix == "acme" and s.partitions == 2
    (tmp_path / "config.yaml").write_text("colour: blue\n")
    with pytest.raises(UnknownSettingError):
        load_settings({"NQF_HUB_HOME": str(tmp_path)})


def test_bad_values_and_profile(tmp_path):
    with pytest.raises(ConfigError):
        load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_PARTITIONS": "many"})
    with pytest.raises(ConfigError):
        load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_PROFILE": "turbo"})


def test_secrets_are_not_settings(tmp_path):
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_SECRET_ACME": "s3cret"})
    assert "s3cret" not in str(s.public())
