"""Typed, frozen settings from the environment (`NQF_HUB_*`) and an optional YAML file.

Precedence: environment > file (`NQF_HUB_CONFIG` or `$NQF_HUB_HOME/config.yaml`) > defaults.
Unknown keys fail with the list of known ones. Secrets are never part of `Settings.public()`.

Consumer timeouts depend on the broker: the embedded broker (Tansu) makes a new group member
wait about one session timeout before its first assignment, so the `embedded` profile uses
short timeouts; the `kafka` profile keeps librdkafka's production-friendly defaults.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import yaml

from hub.errors import ConfigError, UnknownSettingError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ConsumerProfile:
    """Group-membership timeouts; the runtime applies them to confluent-kafka and faust alike."""

    name: str
    session_timeout_ms: int
    heartbeat_interval_ms: int
    max_poll_interval_ms: int
    # faust workers: a member that overruns max.poll.interval is evicted and (measured with faust
    # 0.15 on Tansu) never rejoins, so stream workers get a long one; group join time does not
    # depend on it (measured)
    stream_max_poll_interval_ms: int = 300000

    def librdkafka(self) -> dict:
        return {
            "session.timeout.ms": self.session_timeout_ms,
            "heartbeat.interval.ms": self.heartbeat_interval_ms,
            "max.poll.interval.ms": self.max_poll_interval_ms,
        }


PROFILES = {
    "embedded": ConsumerProfile("embedded", 6000, 1000, 10000),
    "kafka": ConsumerProfile("kafka", 45000, 3000, 300000),
}


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path.home() / ".nqf-hub")
    bootstrap: str | None = None          # None: use the embedded broker recorded in home
    profile: str | None = None            # None: 'embedded' without bootstrap, else 'kafka'
    schema_registry_url: str | None = None
    topic_prefix: str = "hub"
    partitions: int = 4
    replication_factor: int = 1
    schemas_dir: Path = PROJECT_ROOT / "schemas" / "avro"
    mappings_dir: Path = PROJECT_ROOT / "mappings"
    partners_dir: Path | None = None      # None: mappings_dir/partners
    trust_dir: Path | None = None         # None: mappings_dir/trust (trust registry, hub.verify)
    status_cache_dir: Path | None = None  # None: home/status-lists (cached status lists)
    log_level: str = "INFO"
    metrics_port: int | None = None
    # topic retention (ms; -1 = keep forever), applied by `nqf-hub topics ensure` (hub.runtime.topics);
    # the audit and release topics always keep everything
    retention_ingress_ms: int = 7 * 86_400_000          # replay window for the router
    retention_held_ms: int = 90 * 86_400_000            # longer than the 30-day hold TTL
    retention_partner_ms: int = 14 * 86_400_000         # partners consuming their topic directly
    retention_deadletter_ms: int = 30 * 86_400_000      # time to inspect and replay dead letters
    # ---- Kafka client security (every client: librdkafka, faust/aiokafka; hub.runtime.security)
    security_protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str | None = None     # SCRAM-SHA-512 | SCRAM-SHA-256 | PLAIN | OAUTHBEARER
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)          # secret
    sasl_password_file: Path | None = None                                # or: the secret in a file
    sasl_oauthbearer_token_url: str | None = None  # OAUTHBEARER: OIDC client-credentials grant
    sasl_oauthbearer_client_id: str | None = None
    sasl_oauthbearer_client_secret: str | None = field(default=None, repr=False)  # secret
    sasl_oauthbearer_scope: str | None = None
    ssl_ca_file: Path | None = None       # trust anchors (PEM); default: the system's
    ssl_cert_file: Path | None = None     # client certificate (PEM) for mutual TLS
    ssl_key_file: Path | None = None
    ssl_key_password: str | None = field(default=None, repr=False)       # secret

    # ---- derived -------------------------------------------------------------------------
    @property
    def consumer_profile(self) -> ConsumerProfile:
        name = self.profile or ("kafka" if self.bootstrap else "embedded")
        try:
            return PROFILES[name]
        except KeyError:
            raise ConfigError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None

    @property
    def partners_path(self) -> Path:
        return self.partners_dir or (self.mappings_dir / "partners")

    @property
    def trust_path(self) -> Path:
        return self.trust_dir or (self.mappings_dir / "trust")

    @property
    def status_cache_path(self) -> Path:
        return self.status_cache_dir or (self.home / "status-lists")

    def topic(self, name: str) -> str:
        """`topic('ingress')` -> 'hub.ingress'; `topic('partner.x')` -> 'hub.partner.x'."""
        return f"{self.topic_prefix}.{name}"

    def public(self) -> dict:
        """Every setting except the secrets (SECRET_SETTINGS): safe to print and log."""
        d = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()
             if k not in SECRET_SETTINGS}
        d["consumer_profile"] = self.consumer_profile.name
        return d

    def with_(self, **kw) -> "Settings":
        return replace(self, **kw)


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}
SECRET_SETTINGS = frozenset({"sasl_password", "sasl_oauthbearer_client_secret", "ssl_key_password"})


def _coerce(key: str, value):
    t = str(_FIELD_TYPES[key])
    if value is None or value == "":
        return None if "None" in t else value
    if "Path" in t:
        return Path(str(value)).expanduser()
    if t.startswith("int"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {key!r} must be an integer") from None
    return str(value)


def load_settings(env: dict | None = None, **overrides) -> Settings:
    """Read settings; raises ConfigError naming the bad key (never a secret's value)."""
    env = os.environ if env is None else env
    known = set(_FIELD_TYPES)
    values: dict = {}
    home = Path(env.get("NQF_HUB_HOME") or Path.home() / ".nqf-hub").expanduser()
    cfg_file = env.get("NQF_HUB_CONFIG")
    path = Path(cfg_file).expanduser() if cfg_file else home / "config.yaml"
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML ({e.__class__.__name__})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: must be a mapping of settings")
        unknown = sorted(set(data) - known)
        if unknown:
            raise UnknownSettingError(
                f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    prefix = "NQF_HUB_"
    ignored = {"NQF_HUB_CONFIG"} | {f"NQF_HUB_{s}" for s in ("SECRET",)}
    for k, v in env.items():
        # secrets (NQF_HUB_SECRET_*) are read where used; NQF_HUB_TEST* and NQF_HUB_RUN_* are
        # switches of the test suite (e.g. NQF_HUB_RUN_CHAOS=1), not settings
        if not k.startswith(prefix) or k in ignored or k.startswith(("NQF_HUB_SECRET_", "NQF_HUB_TEST",
                                                                      "NQF_HUB_RUN_")):
            continue
        key = k[len(prefix):].lower()
        if key not in known:
            raise UnknownSettingError(
                f"unknown environment setting {k}; known: "
                + ", ".join(prefix + n.upper() for n in sorted(known)))
        values[key] = _coerce(key, v)
    values.setdefault("home", home)
    values.update({k: v for k, v in overrides.items() if v is not None})
    s = Settings(**values)
    s.consumer_profile  # validate profile name early
    from hub.runtime.security import check_security
    check_security(s)
    return s


def settings_json(s: Settings) -> str:
    return json.dumps(s.public(), sort_keys=True)
