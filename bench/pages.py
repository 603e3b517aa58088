"""Server time and query count of each portal and console page on the reference data.

Usage (after ``make reference`` and ``partnerprogram demo-accounts``, same database)::

    .venv/bin/python bench/pages.py [--repeat 20] [--format text|json]

Each page is requested ``--repeat`` times through Django's test client (the whole stack:
middleware, view, template; no network) signed in as the demo accounts ``premier-admin``
(portal) and ``channel`` (console); the figures are the median and the worst time in
milliseconds, and the number of SQL queries of one request. Measured, not asserted: timing
assertions in tests are flaky; the query budgets are asserted in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
# As in production: DEBUG off (no query log kept, no debug toolbar of templates).
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    users = get_user_model().objects
    missing = [u for u in ("premier-admin", "channel") if not users.filter(username=u).exists()]
    if missing:
        raise SystemExit(
            f"no demo accounts {missing}: run `make reference` and "
            "`.venv/bin/partnerprogram demo-accounts` first"
        )
    partner = users.get(username="premier-admin").membership.partner
    pages = {
        "premier-admin": [
            "/portal/",
            "/portal/people/",
            "/portal/opportunities/",
            "/portal/opportunities/register/",
            "/portal/opportunities/influence/",
            "/portal/business/",
            "/portal/benefits/",
            "/portal/guide/",
        ],
        "channel": [
            "/console/",
            "/console/partners/",
            f"/console/partners/{partner.external_id}/",
            "/console/approvals/",
            "/console/claims/",
        ],
    }
    rows = []
    for username, urls in pages.items():
        client = Client()
        client.force_login(users.get(username=username))
        for url in urls:
            client.get(url)  # warm caches (templates, program definitions)
            counted: list[str] = []

            def count(execute, sql, params, many, context, _log=counted):  # type: ignore[no-untyped-def]
                _log.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                response = client.get(url)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            rows.append(
                {
                    "user": username,
                    "url": url,
                    "status": response.status_code,
                    "queries": len(counted),
                    "median_ms": round(statistics.median(times), 1),
                    "max_ms": round(max(times), 1),
                }
            )
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return
    print(f"{'page':45} {'status':>6} {'queries':>7} {'median ms':>10} {'max ms':>8}")
    for r in rows:
        print(
            f"{r['url']:45} {r['status']:>6} {r['queries']:>7} {r['median_ms']:>10} "
            f"{r['max_ms']:>8}"
        )


if __name__ == "__main__":
    main()
