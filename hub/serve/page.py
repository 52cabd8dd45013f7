"""The status page: one server-rendered HTML document with an inline SVG chart.

No script, no CDN, no web font: it renders the same offline, in a terminal browser and in a
screenshot. Every value comes from `FlowTracker.snapshot()` (ids, rule ids, reasons, counts)
and the lag snapshot, and is HTML-escaped. The page refreshes itself every `refresh_s` seconds.
"""
from __future__ import annotations

import datetime as dt
from html import escape

COLORS = {"ingested": "#1f77b4", "forwarded": "#2ca02c", "delivered": "#17becf", "held": "#ff7f0e",
          "blocked": "#7f7f7f", "dead_letters": "#d62728"}
JURIS_COLS = ("ingested", "forward", "forward_minimised", "hold", "block", "delivered", "dead_lettered")
PARTNER_COLS = ("forward", "forward_minimised", "hold", "block", "release", "expire", "delivered",
                "delivery_dead_lettered")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2b45;color:#fff;padding:14px 24px;display:flex;justify-content:space-between;align-items:baseline}
header h1{font-size:20px;margin:0} header span{opacity:.8;font-size:13px}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:12px 16px;overflow:auto}
section.wide{grid-column:1 / -1}
h2{font-size:15px;margin:0 0 8px 0;color:#31405e}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #eef0f4;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left} td.text{text-align:left;white-space:normal}
th{color:#5a6782;font-weight:600}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1;min-width:130px;background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:10px 14px}
.card b{display:block;font-size:24px} .card span{font-size:12px;color:#5a6782}
.bad b{color:#c62828} .ok b{color:#2e7d32}
.muted{color:#7a859c;font-size:12px}
footer{padding:8px 24px 24px;color:#7a859c;font-size:12px}
"""


def _n(v) -> str:
    return f"{int(v):,}" if isinstance(v, (int, float)) and not isinstance(v, bool) else escape(str(v))


def _age(seconds: float) -> str:
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def chart_svg(series: dict, *, width: int = 1180, height: int = 220) -> str:
    """Per-minute counts of the last hour as one line per series, with axes and a legend."""
    per = series["per_minute"]
    n = max((len(v) for v in per.values()), default=0)
    pad_l, pad_r, pad_t, pad_b = 44, 150, 12, 28
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    top = max([1] + [x for v in per.values() for x in v])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="records per minute, last hour" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="11" font-family="sans-serif">']
    for i in range(5):
        y = pad_t + h - h * i / 4
        parts.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{pad_l + w}" y2="{y:.1f}" stroke="#e3e6ec"/>')
        parts.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5a6782">{top * i / 4:.0f}</text>')
    start = series.get("minute_start", 0)
    for i in range(0, n, 10):
        x = pad_l + (w * i / max(n - 1, 1))
        label = dt.datetime.fromtimestamp(start + i * 60, dt.timezone.utc).strftime("%H:%M")
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#5a6782">{label}</text>')
    for j, (name, values) in enumerate(per.items()):
        color = COLORS.get(name, "#444")
        pts = " ".join(f"{pad_l + w * i / max(n - 1, 1):.1f},{pad_t + h - h * v / top:.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"><title>{escape(name)}</title></polyline>')
        ly = pad_t + 14 + j * 18
        parts.append(f'<rect x="{pad_l + w + 16}" y="{ly - 9}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{pad_l + w + 34}" y="{ly + 1}" fill="#1d2330">{escape(name.replace("_", " "))} '
                     f'({sum(values):,})</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers, rows, text_cols=()) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for r in rows:
        body.append("<tr>" + "".join(
            f'<td class="text">{escape(str(c)) if c is not None else ""}</td>' if i in text_cols else f"<td>{_n(c)}</td>"
            for i, c in enumerate(r)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(snap: dict, ops: dict | None = None, *, refresh_s: int = 15) -> str:
    """The whole page. `snap` from FlowTracker.snapshot(); `ops` = {groups, workers} or None."""
    ops = ops or {}
    conn, jur, par = snap["connectors"], snap["jurisdictions"], snap["partners"]
    ingested = sum(v.get("ingested", 0) for v in conn.values())
    delivered = sum(v.get("delivered", 0) for v in par.values())
    held_open = sum(b["open"] for b in snap["held"].values())
    dead = sum(d["count"] for d in snap["dead_letters"])
    lag = sum(g.get("lag", 0) for g in ops.get("groups", []))
    alive = [g for g in ops.get("groups", []) if g.get("alive")]
    cards = [("ingested", ingested, ""), ("delivered", delivered, "ok"), ("held open", held_open, ""),
             ("dead letters", dead, "bad" if dead else "ok"), ("consumer lag", lag, "bad" if lag > 1000 else ""),
             ("worker groups alive", f"{len(alive)}/{len(ops.get('groups', []))}", "")]
    cards_html = "".join(f'<div class="card {c}"><b>{_n(v)}</b><span>{escape(k)}</span></div>' for k, v, c in cards)
    conn_rows = [(k, v.get("ingested", 0), v.get("rejected", 0)) for k, v in conn.items()]
    jur_rows = [(k, *(v.get(c, 0) for c in JURIS_COLS)) for k, v in jur.items()]
    par_rows = [(k, *(v.get(c, 0) for c in PARTNER_COLS), snap["held"].get(k, {}).get("open", 0)) for k, v in par.items()]
    dl_rows = [(d["stage"], d["reason_class"], d["error_class"], d["where"], d["count"], d["last_at"] or "", d["message"] or "")
               for d in snap["dead_letters"][:50]]
    held_rows = [(p, b["open"], b["overdue"], _age(b["oldest_age_s"]),
                  "; ".join(f"{r['reason']} ×{r['count']}" for r in b["reasons"][:4])) for p, b in snap["held"].items()]
    grp_rows = [(g["group"], g.get("state") or "?", g.get("lag", 0),
                 "" if g.get("members") is None else g["members"]) for g in ops.get("groups", [])]
    wk_rows = [(w["stage"], str(w["pid"]), str(w.get("metrics_port") or ""), "alive" if w["alive"] else "DEAD")
               for w in ops.get("workers", [])]
    err = f'<p class="muted">reader: {escape(snap["reader_error"])}</p>' if snap.get("reader_error") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{int(refresh_s)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nqf-hub status · {escape(snap['prefix'])}</title><style>{CSS}</style></head>
<body>
<header><h1>nqf-hub status</h1><span>topic prefix <b>{escape(snap['prefix'])}</b> · generated {escape(snap['generated_at'])}
 · {_n(snap['records_read'])} records read{'' if snap['caught_up'] else ' (catching up…)'}</span></header>
<main>
<section class="wide"><div class="cards">{cards_html}</div>{err}</section>
<section class="wide"><h2>Last hour, records per minute</h2>{chart_svg(snap['series'])}</section>
<section><h2>Flows per connector</h2>{_table(("connector", "ingested", "rejected at ingest"), conn_rows)}</section>
<section><h2>Consumer groups</h2>{_table(("group", "state", "lag", "members"), grp_rows)}
<h2 style="margin-top:12px">Workers on this machine</h2>{_table(("stage", "pid", "metrics port", "state"), wk_rows)}</section>
<section class="wide"><h2>Flows per source jurisdiction</h2>{_table(("jurisdiction", *JURIS_COLS), jur_rows)}</section>
<section class="wide"><h2>Flows per partner</h2>{_table(("partner", *PARTNER_COLS, "held open"), par_rows)}</section>
<section class="wide"><h2>Dead letters</h2>{_table(("stage", "reason", "error", "connector / partner", "count", "last at", "message"), dl_rows, text_cols=(6,))}</section>
<section class="wide"><h2>Held records</h2>{_table(("partner", "open", "overdue", "oldest", "reasons (rules)"), held_rows, text_cols=(4,))}</section>
</main>
<footer>Read-only. This page shows ids, rule ids, reasons and counts only, never personal data.
Details: <code>nqf-hub dlq list</code>, <code>nqf-hub held list</code>, <code>nqf-hub trace EVENT_ID</code>.
JSON: <a href="status.json">status.json</a> · metrics: <a href="metrics">/metrics</a></footer>
</body></html>"""
