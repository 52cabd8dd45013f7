"""`nqf-hub serve`: HTTP ingest for authorities, and on its own port the read-only status page
and /metrics.

    serve/tokens.py  per-authority bearer tokens (SHA-256 hashes only), their grants and the
                     authority facts that become header.source; rate limits (LRU-bounded)
    serve/app.py     the aiohttp applications: ingest (`make_app`) and status (`make_status_app`)
    serve/page.py    the server-rendered status page with its inline SVG chart
"""
