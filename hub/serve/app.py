"""`nqf-hub serve`: the authenticated HTTP ingest endpoint, and (on its own port) the status page
and /metrics.

Two applications, two listening sockets, so that the ingest endpoint can face the authorities
(behind TLS) while the status page and the metrics stay on an operator network:

  ingest app (`make_app`, --host/--port)
    POST /ingest/{connector}[?name=UPLOAD][&mapping=NAME]  an authority pushes one document
    GET  /healthz                                          liveness
  status app (`make_status_app`, --status-host/--status-port, default 127.0.0.1:8081)
    GET  /status, /status.json   read-only status page (no personal data) and its data
    GET  /metrics                Prometheus metrics of this process
    GET  /healthz                liveness

Ingest, in order: bearer token (hashed, compared in constant time with every stored hash;
failed attempts are rate-limited per client address) -> per-authority token bucket -> the
authority may use this connector -> body size limit (Content-Length checked first, then the
bytes actually read) -> decode with the connector (`decode_sources`) -> produce accepted events
to <prefix>.ingress and rejected records to <prefix>.deadletter (`produce_all`, every record
acknowledged by Kafka before the answer). The answer is JSON:
  {"connector", "authority", "document", "accepted", "rejected", "errors": [located], "elapsed_s"}
with status 200 (all or some accepted), 422 (nothing accepted, something rejected, or the
connector needs a field mapping that was not given / is unknown), 400 (empty body),
401/403/404/413/429, or 503 when Kafka did not acknowledge (send the document again: event ids
are deterministic, partners de-duplicate). Hostile documents (integers longer than Python's
int max_str_digits, nesting deeper than the recursion limit, unreadable CSV) are rejected
records with a located error, never a 500.

`?name=` only labels the upload in errors and dead letters; it never names a file on the
server. `?mapping=` (connector csv) must be the name of a reviewed mapping in
<mappings>/fields/ (no paths).

The access log has method, path (no query string), status, size, time and the authority id:
never the token, never a header, never a body.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from hub.config import Settings
from hub.errors import BrokerError, ConnectorNotFound, MappingFileError
from hub.observability import families as F
from hub.observability import labels as L
from hub.serve.tokens import RateLimiter, TokenBook, bearer

log = logging.getLogger("nqfhub.serve")
DEFAULT_MAX_BODY = 32 * 1024 * 1024
AUTH_FAIL_RATE_PER_S = 10 / 60
AUTH_FAIL_BURST = 10
MAX_ERRORS_IN_ANSWER = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_MAPPING = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
MAPPING_CONNECTORS = frozenset({"csv"})   # inbound connectors that take `?mapping=NAME`

K_SETTINGS = web.AppKey("settings", Settings)
K_TOKENS = web.AppKey("tokens", object)
K_LIMITER = web.AppKey("limiter", RateLimiter)
K_TRACKER = web.AppKey("tracker", object)
K_OPS = web.AppKey("ops", object)
K_PRODUCER = web.AppKey("producer", object)
K_MAX_BODY = web.AppKey("max_body", int)
R_AUTHORITY = web.RequestKey("authority", str) if hasattr(web, "RequestKey") else "authority"


class AccessLogger(AbstractAccessLogger):
    def log(self, request, response, time_taken):
        self.logger.info("%s %s %s %d %s %.3fs authority=%s", request.remote, request.method, request.path,
                         response.status, response.body_length, time_taken, request.get(R_AUTHORITY, "-"))


def _answer(status: int, obj: dict, headers: dict | None = None) -> web.Response:
    return web.json_response(obj, status=status, headers=headers)


def _route(request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


@web.middleware
async def metrics_mw(request, handler):
    t0 = time.perf_counter()
    status = 500
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        route = _route(request)
        F.HTTP_REQUESTS.labels(route, str(status)).inc()
        F.HTTP_SECONDS.labels(route).observe(time.perf_counter() - t0)


# ---- ingest ------------------------------------------------------------------------------------
async def ingest(request: web.Request) -> web.Response:
    app = request.app
    book: TokenBook | None = app[K_TOKENS]
    if book is None:
        return _answer(503, {"error": "ingest is disabled: start `nqf-hub serve --tokens FILE`"})
    auth = book.authenticate(bearer(request.headers.get("Authorization")))
    if auth is None:
        F.HTTP_AUTH_FAILURES.inc()
        ok, wait = app[K_LIMITER].take(f"fail:{request.remote}", AUTH_FAIL_RATE_PER_S, AUTH_FAIL_BURST)
        if not ok:
            return _answer(429, {"error": "too many failed authentications"}, {"Retry-After": str(int(wait) + 1)})
        return _answer(401, {"error": "missing or unknown bearer token"}, {"WWW-Authenticate": "Bearer"})
    request[R_AUTHORITY] = auth.id
    ok, wait = app[K_LIMITER].take(f"auth:{auth.id}", auth.rate_per_minute / 60.0, auth.burst)
    if not ok:
        F.HTTP_RATE_LIMITED.labels(L.token(auth.id)).inc()
        return _answer(429, {"error": "rate limit exceeded for this authority"}, {"Retry-After": str(int(wait) + 1)})
    name = request.match_info["connector"]
    if not auth.may_use(name):
        return _answer(403, {"error": f"authority {auth.id} may not use connector {name}"})
    from hub.sdk import registry
    try:
        conn = registry.inbound(name)
    except ConnectorNotFound:
        return _answer(404, {"error": f"no inbound connector {name}"})
    limit = min(auth.max_body_bytes or app[K_MAX_BODY], app[K_MAX_BODY])
    if request.content_length is not None and request.content_length > limit:
        return _answer(413, {"error": f"document larger than the limit of {limit} bytes"})
    body = await _read_bounded(request, limit)
    if body is None:
        return _answer(413, {"error": f"document larger than the limit of {limit} bytes"})
    if not body:
        return _answer(400, {"error": "empty body: POST the document as the request body"})
    upload = request.query.get("name") or "upload"
    upload = upload if _NAME.fullmatch(upload) and ".." not in upload else "upload"
    options = {}
    if name in MAPPING_CONNECTORS:
        known = known_mappings(app[K_SETTINGS])
        chosen = request.query.get("mapping")
        if chosen is None or not _MAPPING.fullmatch(chosen) or chosen not in known:
            what = "needs a reviewed field mapping" if chosen is None else "has no reviewed mapping of that name"
            return _answer(422, {"error": f"connector {name} {what}: add ?mapping=NAME, NAME one of known_mappings",
                                 "location": {"field": "mapping"}, "known_mappings": known})
        options["mapping"] = chosen
    loop = asyncio.get_running_loop()
    try:
        summary = await loop.run_in_executor(None, _decode_and_produce, app, conn, name, upload, body, auth,
                                             options)
    except MappingFileError:
        return _answer(422, {"error": f"the field mapping for connector {name} cannot be used: add "
                                      "?mapping=NAME, NAME one of known_mappings",
                             "location": {"field": "mapping"}, "known_mappings": known_mappings(app[K_SETTINGS])})
    except BrokerError as e:
        log.error("ingest for %s/%s not acknowledged: %s", auth.id, name, e.__class__.__name__)
        return _answer(503, {"error": "Kafka did not acknowledge every record; send the document again "
                                      "(event ids are deterministic, duplicates are harmless)"})
    a, c = L.token(auth.id), L.token(name)
    F.HTTP_RECORDS.labels(a, c, "accepted").inc(summary.ingested)
    F.HTTP_RECORDS.labels(a, c, "rejected").inc(summary.rejected)
    errors = summary.errors[:MAX_ERRORS_IN_ANSWER]
    result = {"connector": name, "authority": auth.id, "document": upload, "accepted": summary.ingested,
              "rejected": summary.rejected, "errors": errors,
              "errors_truncated": summary.rejected > len(errors), "elapsed_s": round(summary.elapsed_s, 3)}
    return _answer(422 if summary.rejected and not summary.ingested else 200, result)


async def _read_bounded(request, limit: int) -> bytes | None:
    chunks, total = [], 0
    async for chunk in request.content.iter_chunked(1 << 16):
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def known_mappings(settings: Settings) -> list[str]:
    """Names of the reviewed CSV field mappings (<mappings>/fields/*.yaml)."""
    d = settings.mappings_dir / "fields"
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def _decode_and_produce(app, conn, name: str, upload: str, body: bytes, auth, options: dict | None = None):
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.sdk.inbound import Source
    if options and "mapping" in options:
        options = {**options, "mapping": app[K_SETTINGS].mappings_dir / "fields" / f"{options['mapping']}.yaml"}
    ctx = make_context(conn, authenticated=auth.source, options=options)
    items = decode_sources(conn, [Source(name=upload, data=body)], ctx)
    return produce_all(app[K_SETTINGS], items, connector=name, producer=app[K_PRODUCER],
                       keep_errors=MAX_ERRORS_IN_ANSWER, authority=auth.id)


# ---- status ------------------------------------------------------------------------------------
async def status_page(request: web.Request) -> web.Response:
    from hub.serve.page import render
    snap, ops = await _status(request.app)
    return web.Response(text=render(snap, ops), content_type="text/html", charset="utf-8")


async def status_json(request: web.Request) -> web.Response:
    snap, ops = await _status(request.app)
    return web.json_response({**snap, **ops}, dumps=_dumps)


def _dumps(obj) -> str:
    import json
    return json.dumps(obj, default=str)


async def _status(app):
    tracker = app[K_TRACKER]
    loop = asyncio.get_running_loop()
    ops = await loop.run_in_executor(None, app[K_OPS].get)
    return tracker.snapshot(), ops


class OpsCache:
    """Consumer-group lag and workers, recomputed at most every `ttl_s` seconds."""

    def __init__(self, settings: Settings, ttl_s: float = 5.0):
        self.settings, self.ttl_s = settings, ttl_s
        self.value: dict = {"groups": [], "workers": []}
        self.at = 0.0

    def get(self) -> dict:
        if time.monotonic() - self.at < self.ttl_s:
            return self.value
        from hub.observability.metrics import local_workers
        from hub.observability.status import stage_group_rows
        try:
            from hub.observability.reading import TopicReader
            with TopicReader(self.settings, cache_s=self.ttl_s) as reader:
                rows = stage_group_rows(self.settings, reader, reader.topics())
            groups = [{k: r[k] for k in ("group", "stage", "lag", "state", "members", "alive")} for r in rows]
            self.value = {"groups": groups, "workers": local_workers(self.settings)}
        except Exception as e:  # noqa: BLE001 - the page still shows flows without lag
            log.warning("status: lag unavailable (%s)", e.__class__.__name__)
            self.value = {"groups": [], "workers": local_workers(self.settings), "ops_error": e.__class__.__name__}
        self.at = time.monotonic()
        return self.value


async def metrics(request: web.Request) -> web.Response:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, generate_latest, REGISTRY)
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(request: web.Request) -> web.Response:
    t = request.app.get(K_TRACKER)
    return web.json_response({"ok": True, **({"caught_up": t.caught_up.is_set()} if t is not None else {})})


async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/status")


def make_app(settings: Settings, *, tokens: TokenBook | None, tracker=None, producer=None,
             max_body: int = DEFAULT_MAX_BODY, ops=None) -> web.Application:
    """The ingest application: POST /ingest/{connector} and /healthz, nothing else (the status
    page and /metrics are `make_status_app`, served on another port)."""
    app = web.Application(middlewares=[metrics_mw], client_max_size=max_body + 1)
    app[K_SETTINGS] = settings
    app[K_TOKENS] = tokens
    app[K_LIMITER] = RateLimiter()
    app[K_TRACKER] = tracker
    app[K_MAX_BODY] = max_body
    if producer is None and tokens is not None:
        from confluent_kafka import Producer

        from hub.runtime.kafka import producer_config
        producer = Producer(producer_config(settings))
    app[K_PRODUCER] = producer
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/ingest/{connector}", ingest)
    return app


def make_status_app(settings: Settings, *, tracker, ops=None) -> web.Application:
    """The operator application: status page, its JSON, /metrics and /healthz (read-only)."""
    app = web.Application(middlewares=[metrics_mw])
    app[K_SETTINGS] = settings
    app[K_TRACKER] = tracker
    app[K_OPS] = ops or OpsCache(settings)
    app.router.add_get("/", root)
    app.router.add_get("/status", status_page)
    app.router.add_get("/status.json", status_json)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app
