"""`nqf-hub serve`: HTTP ingest for authorities, the read-only status page and /metrics.

    serve/tokens.py  per-authority bearer tokens (SHA-256 hashes only) and rate limits
    serve/app.py     the aiohttp application (routes, limits, answers)
    serve/page.py    the server-rendered status page with its inline SVG chart
"""
