#!/usr/bin/env python
"""Benchmark of the REST API through the whole stack (WSGI handler, bearer token, pydantic
validation, ``records_upsert``, problem details): bulk writes, list pages and exports.

Usage::

    .venv/bin/python bench/api.py                 # 10,000 rows per bulk request, 3 requests
    .venv/bin/python bench/api.py --requests 10 --format json

In a fresh temporary SQLite database (or ``--database-url``, a file that must not exist), after
the migrations, it stores 200 partners and 2,000 customers and creates a vendor token, then:

1. ``bulk create``: ``--requests`` POST /api/v1/bookings/bulk of ``--rows`` new rows each;
2. ``bulk unchanged``: the first payload again (idempotent: nothing written);
3. ``list``: GET /api/v1/bookings?limit=500 (the largest page), with its query count;
4. ``csv``: GET /api/v1/bookings?format=csv, the whole list streamed.

It prints seconds and rows/s per step (wall clock). Django runs with ``DEBUG=0``. Not a test:
figures vary with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PARTNERS = 200
CUSTOMERS = 2000


def _setup(url: str | None) -> None:
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    if url is None:
        home = tempfile.mkdtemp(prefix="pp_bench_api_")
        url = f"sqlite:///{home}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _items(start: int, n: int) -> list[dict[str, Any]]:
    first = date(2025, 1, 1)
    return [
        {
            "external_id": f"BK{i:08d}",
            "booked_on": (first + timedelta(days=i % 700)).isoformat(),
            "amount": f"{1000 + (i * 37) % 90000}.25",
            "currency": "EUR",
            "customer": f"C{i % CUSTOMERS:06d}",
            "product_line": ("rhel", "openshift", "ansible")[i % 3],
            "channel": "indirect",
            "transacting_partner": f"P{i % PARTNERS:05d}",
        }
        for i in range(start, start + n)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per bulk request")
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    _setup(args.database_url)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from partnerprogram.api.services import api_token_create
    from partnerprogram.partners.models import Partner
    from partnerprogram.sales.models import Customer

    Partner.objects.bulk_create(
        [
            Partner(external_id=f"P{i:05d}", name=f"Partner {i}", country="FR")
            for i in range(PARTNERS)
        ]
    )
    Customer.objects.bulk_create(
        [Customer(external_id=f"C{i:06d}", name=f"Customer {i}") for i in range(CUSTOMERS)],
        batch_size=1000,
    )
    token = api_token_create(name="bench", partner=None, actor="system:bench").token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    results: list[dict[str, Any]] = []

    def step(label: str, rows: int, call: Any) -> Any:
        t0 = time.perf_counter()
        response = call()
        seconds = time.perf_counter() - t0
        results.append(
            {
                "step": label,
                "status": response.status_code,
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds) if seconds else None,
            }
        )
        return response

    payloads = [
        json.dumps({"items": _items(r * args.rows, args.rows)}) for r in range(args.requests)
    ]
    for number, body in enumerate(payloads, start=1):
        step(
            f"bulk create #{number}",
            args.rows,
            lambda body=body: client.post(
                "/api/v1/bookings/bulk", body, content_type="application/json"
            ),
        )
    step(
        "bulk unchanged",
        args.rows,
        lambda: client.post("/api/v1/bookings/bulk", payloads[0], content_type="application/json"),
    )
    with CaptureQueriesContext(connection) as queries:
        step("list (limit 500)", 500, lambda: client.get("/api/v1/bookings?limit=500"))
    results[-1]["queries"] = len(queries.captured_queries)
    total = args.rows * args.requests

    def export() -> Any:
        response = client.get("/api/v1/bookings?format=csv")
        b"".join(response.streaming_content)
        return response

    step("csv export (every row)", total, export)
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            extra = f", {r['queries']} queries" if "queries" in r else ""
            print(
                f"{r['step']:<24} {r['status']} {r['rows']:>7} rows {r['seconds']:>6} s "
                f"{r['rows_per_s'] or '-':>7} rows/s{extra}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
