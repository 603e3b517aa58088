#!/usr/bin/env python
"""Benchmark of a file import: a generated bookings CSV through ``imports.services.file_import``
(reader, encoding and delimiter detection, generic mapping with per-column formats, upsert,
history entry): the whole path of ``partnerprogram import bookings FILE``.

Usage::

    .venv/bin/python bench/imports.py --rows 1000000
    .venv/bin/python bench/imports.py --rows 100000 --format json

In a fresh temporary SQLite database (or ``--database-url``, a SQLite file that must not
exist), after the migrations, it stores ``--partners`` partners and ``--customers`` customers,
writes ``--rows`` bookings to a CSV in the temporary folder (``;``-separated, French decimal
commas and dd/mm/yyyy dates, as a French finance export; 80 % indirect, a third influenced;
kept with ``--keep``), then imports it twice:

1. ``create``: every row is new;
2. ``unchanged``: the same file again (idempotence: nothing written).

It prints rows/s per pass and the peak resident memory of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: a high-water mark; the baseline after Django
setup and the data generation is printed first). Django runs with ``DEBUG=0``. Not a test:
figures vary with the machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup(url: str | None, home: str) -> None:
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    if url is None:
        url = f"sqlite:///{home}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _write_csv(path: Path, rows: int, partners: int, customers: int) -> None:
    start = date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                "External ID",
                "Booked on",
                "Amount",
                "Currency",
                "Customer",
                "Product line",
                "Channel",
                "Motion",
                "Quantity",
                "Transacting partner",
                "Influencing partner",
                "Sales rep",
            ]
        )
        for i in range(rows):
            indirect = i % 5 != 0
            cents = (1000 + (i * 37) % 90000) * 25
            writer.writerow(
                [
                    f"BK{i:08d}",
                    (start + timedelta(days=i % 700)).strftime("%d/%m/%Y"),
                    f"{cents // 100},{cents % 100:02d}",
                    "EUR" if i % 4 else "USD",
                    f"C{i % customers:06d}",
                    ("rhel", "openshift", "ansible")[i % 3],
                    "indirect" if indirect else "direct",
                    "new",
                    str(i % 50),
                    f"P{i % partners:05d}" if indirect else "",
                    f"P{(i * 7) % partners:05d}" if i % 3 == 0 else "",
                    "jdupont",
                ]
            )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and the database")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="pp_bench_imports_")
    _setup(args.database_url, home)

    from partnerprogram.core.models import ExchangeRate
    from partnerprogram.imports.services import file_import
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
    # a quarter of the rows are in USD: a currency the engine cannot convert is rejected, so
    # the rate is stored as it would be in production
    ExchangeRate.objects.create(
        currency="USD", base="EUR", rate=Decimal("0.92"), valid_from=date(2020, 1, 1)
    )
    path = Path(home) / f"bookings-{args.rows}.csv"
    t0 = time.perf_counter()
    _write_csv(path, args.rows, args.partners, args.customers)
    generated = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1024 / 1024
    baseline = _rss_mb()
    if args.format == "text":
        print(
            f"file      {path} ({size_mb:,.1f} MB, {args.rows:,} rows, written in "
            f"{generated:.1f} s); peak RSS before importing {baseline:.0f} MB",
            flush=True,
        )
    results = []
    for label in ("create", "unchanged"):
        t0 = time.perf_counter()
        report = file_import(kind="bookings", path=path, actor="system:bench")
        seconds = time.perf_counter() - t0
        results.append(
            {
                "pass": label,
                "rows": args.rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(args.rows / seconds),
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
                f"{r['rows_per_s']:>8,} rows/s"
                f"  created {r['created']:,} updated {r['updated']:,} unchanged "
                f"{r['unchanged']:,} rejected {r['rejected']:,}  peak RSS {r['peak_rss_mb']} MB",
                flush=True,
            )
    if args.format == "json":
        print(
            json.dumps(
                {
                    "file_mb": round(size_mb, 1),
                    "baseline_rss_mb": round(baseline),
                    "passes": results,
                },
                indent=2,
            )
        )
    if args.keep:
        print(f"kept: {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
