#!/usr/bin/env python
"""Benchmark of the raw upsert layer: ``core.records.records_upsert`` on generated bookings.

Usage::

    .venv/bin/python bench/upserts.py --rows 100000
    .venv/bin/python bench/upserts.py --rows 1000000 --format json

In a fresh temporary SQLite database (or ``--database-url``, a SQLite file that must not
exist), after the migrations, it stores ``--partners`` partners and ``--customers`` customers,
then streams ``--rows`` booking rows (a generator: the rows are never all in memory; 80 %
indirect through a partner, a third also influenced, EUR/USD) through ``records_upsert``
three times:

1. ``create``: every row is new;
2. ``unchanged``: the same rows again (idempotence: nothing written);
3. ``update``: the same rows with every tenth amount changed.

It prints rows/s per pass (wall clock, and per CPU second of this process: the second is
steadier on a shared machine) and the peak resident memory of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: a high-water mark, so each pass shows the peak so
far). Django runs with ``DEBUG=0``. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup(url: str | None) -> None:
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    if url is None:
        home = tempfile.mkdtemp(prefix="pp_bench_upserts_")
        url = f"sqlite:///{home}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _rows(
    n: int, partners: int, customers: int, bump: bool
) -> Iterator[tuple[int, dict[str, Any]]]:
    start = date(2025, 1, 1)
    for i in range(n):
        indirect = i % 5 != 0
        amount = Decimal(1000 + (i * 37) % 90000) / 4
        if bump and i % 10 == 0:
            amount += 1
        yield (
            i + 2,
            {
                "external_id": f"BK{i:08d}",
                "booked_on": (start + timedelta(days=i % 700)).isoformat(),
                "amount": str(amount.quantize(Decimal("0.01"))),
                "currency": "EUR" if i % 4 else "USD",
                "customer": f"C{i % customers:06d}",
                "product_line": ("rhel", "openshift", "ansible")[i % 3],
                "channel": "indirect" if indirect else "direct",
                "motion": "new",
                "quantity": str(i % 50),
                "transacting_partner": f"P{i % partners:05d}" if indirect else "",
                "influencing_partner": f"P{(i * 7) % partners:05d}" if i % 3 == 0 else "",
                "source_column_ignored": "x",
            },
        )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--database-url")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    _setup(args.database_url)

    from partnerprogram.core.records import records_upsert
    from partnerprogram.partners.models import Partner
    from partnerprogram.sales.models import Customer

    Partner.objects.bulk_create(
        [
            Partner(external_id=f"P{i:05d}", name=f"Partner {i}", country="FR")
            for i in range(args.partners)
        ],
        batch_size=1000,
    )
    Customer.objects.bulk_create(
        [Customer(external_id=f"C{i:06d}", name=f"Customer {i}") for i in range(args.customers)],
        batch_size=1000,
    )
    # USD rows need a rate: a currency the engine cannot convert is rejected
    from datetime import date
    from decimal import Decimal

    from partnerprogram.core.models import ExchangeRate

    ExchangeRate.objects.create(
        currency="USD", base="EUR", rate=Decimal("0.92"), valid_from=date(2020, 1, 1)
    )
    results = []
    for label, bump in (("create", False), ("unchanged", False), ("update", True)):
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        report = records_upsert(
            kind="bookings",
            rows=_rows(args.rows, args.partners, args.customers, bump),
            actor="system:bench",
            chunk_size=args.chunk_size,
        )
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        results.append(
            {
                "pass": label,
                "rows": args.rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(args.rows / seconds),
                "cpu_seconds": round(cpu, 2),
                "rows_per_cpu_s": round(args.rows / cpu),
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
                "peak_rss_mb": round(_rss_mb()),
            }
        )
        if args.format == "text":
            r = results[-1]
            print(
                f"{label:9} {r['rows']:>9,} rows {r['seconds']:>8.2f} s "
                f"{r['rows_per_s']:>8,} rows/s (CPU {r['cpu_seconds']:.2f} s: "
                f"{r['rows_per_cpu_s']:,} rows/CPU s)"
                f"  created {r['created']:,} updated {r['updated']:,} unchanged "
                f"{r['unchanged']:,} rejected {r['rejected']:,}  peak RSS {r['peak_rss_mb']} MB",
                flush=True,
            )
    if args.format == "json":
        print(json.dumps({"chunk_size": args.chunk_size, "passes": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
