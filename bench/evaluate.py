#!/usr/bin/env python
"""Benchmark of a full program evaluation on a generated population.

Usage::

    .venv/bin/python bench/evaluate.py --partners 470
    .venv/bin/python bench/evaluate.py --partners 100000 --format json
    .venv/bin/python bench/evaluate.py --partners 2000 --database-url postgres://localhost/postgres

What it does, in order:

1. creates a fresh throw-away database: a temporary SQLite file by default; with
   ``--database-url`` a SQLite file that must not exist yet, or, for PostgreSQL, a new database
   ``pp_bench_<pid>`` created on that server (dropped at the end unless ``--keep``);
2. runs the migrations;
3. generates a deterministic population (``--seed``) of ``--partners`` partners with, per partner
   on average, 6 people, 8 credentials, 10 deal registrations, 25 bookings over two years (resold
   and influenced), 1 opportunity with 1.5 involvements, 1.2 track enrolments and, for the 10 %
   enrolled in the cloud track, 24 months of cloud usage: about 55 fact rows per partner. Rows
   are written with raw ``executemany`` statements in one transaction (ids computed in Python);
   this time is reported as ``generation`` and is **not** the measured figure;
4. loads the program version (``--program``, default ``programs/pex-fr/2026.2.yaml``);
5. times ``programs.engine.evaluate(version=..., as_of=..., store=True)`` on a new database
   connection: population, metric queries, rules, persistence (run + assessments), total. The
   phase boundaries are the engine's own progress messages; every SQL statement is counted and
   timed with ``connection.execute_wrapper`` (reads = SELECT, writes = INSERT/UPDATE/DELETE);
6. unless ``--no-breakdown``, computes each metric reference again on its own to show where the
   metric time goes (``--explain`` adds the database's query plan of each metric query).

Django runs with ``DEBUG=0`` unless ``DEBUG`` is set in the environment: with ``DEBUG`` on, every
statement is also formatted and logged, which inflates the persistence time.

Output: ``--format text`` (default) or ``json`` (one object; see ``_report``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROGRAM = ROOT / "programs" / "pex-fr" / "2026.2.yaml"
DEFAULT_AS_OF = date(2027, 1, 31)
DEFAULT_SEED = 2026
FLUSH_ROWS = 200_000  # buffered fact rows before an executemany flush
EXECUTEMANY_CHUNK = 50_000

# Population shape: average fact rows per partner (scaled by a per-partner size factor).
PEOPLE = 6
CREDENTIALS = 8
REGISTRATIONS = 10
BOOKINGS = 25
RESOLD_SHARE = 0.78  # the rest are direct bookings the partner influenced
OPPORTUNITIES = 1
USAGE_MONTHS = 24
HISTORY_DAYS = 730  # facts dated over the two years before the as-of date

FAMILIES = {"rhel": 40, "openshift": 30, "ansible": 20, "middleware": 10}
LEVELS = ("associate", "professional", "specialist", "architect")
PRODUCT_LINES = ("rhel", "openshift", "ansible", "middleware", "cloud-services")
CURRENCIES = (("EUR", 92), ("USD", 6), ("GBP", 2))
REG_STATUS = (
    ("approved", 35),
    ("won", 20),
    ("lost", 10),
    ("rejected", 10),
    ("submitted", 10),
    ("expired", 15),
)
MOTIONS = (("new", 40), ("renewal", 35), ("upsell", 15), ("downsell", 7), ("churn", 3))
STAGES = (
    ("prospecting", 10),
    ("qualification", 10),
    ("proposal", 15),
    ("negotiation", 10),
    ("won", 35),
    ("lost", 20),
)
PREVIOUS_TIER = (("", 50), ("ready", 25), ("advanced", 17), ("premier", 8))
FACT_TABLES = (
    "people",
    "credentials",
    "registrations",
    "bookings",
    "cloud_usage",
    "opportunities",
    "involvements",
    "enrolments",
)


# --------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time a full program evaluation on a generated population."
    )
    parser.add_argument("--partners", type=int, required=True, help="population size, e.g. 470")
    parser.add_argument(
        "--database-url",
        help="sqlite:////path/new.sqlite3 (must not exist) or a PostgreSQL server URL on which a "
        "throw-away database is created (default: a temporary SQLite file)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="evaluate an existing benchmark database given by --database-url (no generation)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--program", default=str(DEFAULT_PROGRAM), help="program YAML file")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF.isoformat(), help="YYYY-MM-DD")
    parser.add_argument(
        "--analyze", action="store_true", help="run ANALYZE after generation (planner stats)"
    )
    parser.add_argument("--no-breakdown", action="store_true", help="skip per-metric timings")
    parser.add_argument("--explain", action="store_true", help="print metric query plans")
    args = parser.parse_args(argv)
    if args.partners < 1:
        parser.error("--partners must be at least 1")
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url")
    args.as_of = date.fromisoformat(args.as_of)
    return args


# --------------------------------------------------------------------------- database


@dataclass
class Database:
    url: str
    description: str
    cleanup: Callable[[], None]
    vendor: str


def prepare_database(args: argparse.Namespace) -> Database:
    """Decide the throw-away database and return its URL and how to remove it."""
    if args.database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="pp-bench-"))
        path = folder / "bench.sqlite3"
        return Database(
            f"sqlite:///{path}", str(path), lambda: shutil.rmtree(folder, True), "sqlite"
        )
    url = args.database_url
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        raw = url.split(":///", 1)[1] if ":///" in url else ""
        path = Path(raw)
        if not raw or raw == ":memory:":
            raise SystemExit("--database-url: give a SQLite file path, e.g. sqlite:////tmp/b.db")
        if args.reuse:
            if not path.exists():
                raise SystemExit(f"--reuse: {path} does not exist")
            return Database(url, str(path), lambda: None, "sqlite")
        if path.exists():
            raise SystemExit(f"--database-url: {path} exists; the benchmark needs a new file")

        def remove() -> None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return Database(url, str(path), remove, "sqlite")
    if scheme in {"postgres", "postgresql", "pgsql", "postgis"}:
        if args.reuse:
            return Database(url, url, lambda: None, "postgresql")
        import psycopg

        parts = urlsplit(url)
        name = f"pp_bench_{os.getpid()}"
        query = f"?{parts.query}" if parts.query else ""
        # urlunsplit would drop the "//" of a URL without host (postgres:///db, Unix socket)
        server = f"postgresql://{parts.netloc}{parts.path}{query}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        new_url = f"{parts.scheme}://{parts.netloc}/{name}{query}"

        def drop() -> None:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

        return Database(new_url, new_url, drop, "postgresql")
    raise SystemExit(f"--database-url: unsupported scheme {scheme!r} (sqlite or postgres)")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
    if importlib.util.find_spec("partnerprogram") is None:  # not installed: use the checkout
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


# --------------------------------------------------------------------------- generation


class Table:
    """A raw ``INSERT`` for ``model`` with the given field names; other concrete fields get
    their Django default (constant), so a new column with a default does not break the bench."""

    def __init__(self, model: Any, fields: Sequence[str]) -> None:
        from django.db import connection

        self.model = model
        given = list(fields)
        extra: list[Any] = []
        names = list(given)
        for f in model._meta.concrete_fields:
            if f.primary_key or f.name in given or f.attname in given:
                continue
            if not (f.null or f.has_default() or f.empty_strings_allowed):
                raise SystemExit(
                    f"bench: {model.__name__}.{f.name} is a new required column: add it to "
                    "bench/evaluate.py"
                )
            names.append(f.name)
            extra.append(f.get_db_prep_save(f.get_default(), connection))
        self.extra = tuple(extra)
        columns = [model._meta.get_field(n).column for n in names]
        quote = connection.ops.quote_name
        self.sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, *values: Any) -> None:
        self.rows.append(values + self.extra if self.extra else values)

    def flush(self, cursor: Any) -> None:
        rows, self.rows = self.rows, []
        for start in range(0, len(rows), EXECUTEMANY_CHUNK):
            cursor.executemany(self.sql, rows[start : start + EXECUTEMANY_CHUNK])
        self.written += len(rows)


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> Callable[[], str]:
    """A fast weighted choice over a small table (precomputed cumulative list)."""
    table: list[str] = []
    for value, weight in pairs:
        table.extend([value] * weight)
    size = len(table)
    return lambda: table[int(rng.random() * size)]


@dataclass
class Generated:
    rows: dict[str, int] = field(default_factory=dict)
    reference_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    insert_seconds: float = 0.0  # of which executemany (the rest is Python row generation)
    analyze_seconds: float = 0.0

    @property
    def fact_rows(self) -> int:
        return sum(self.rows.values())


def generate(*, partners: int, seed: int, as_of: date, vendor: str, analyze: bool) -> Generated:
    """Write reference data and a population of ``partners`` partners (see module doc)."""
    from django.db import connection, transaction

    from partnerprogram.core.models import ExchangeRate
    from partnerprogram.enablement.models import Certification, Credential
    from partnerprogram.partners.models import Partner, Person, TrackEnrolment
    from partnerprogram.sales.models import (
        Booking,
        CloudUsage,
        Customer,
        DealRegistration,
        Opportunity,
        PartnerInvolvement,
    )

    started = time.perf_counter()
    rng = random.Random(seed)
    rand = rng.random
    recorded = connection.ops.adapt_datetimefield_value(
        datetime(as_of.year, as_of.month, as_of.day, 22, 0, tzinfo=UTC)
    )
    day_cache: dict[int, Any] = {}

    def day(offset: int) -> Any:
        """The date ``as_of - offset days`` as the backend wants it (cached)."""
        value = day_cache.get(offset)
        if value is None:
            value = connection.ops.adapt_datefield_value(as_of - timedelta(days=offset))
            day_cache[offset] = value
        return value

    currency = _weighted(rng, CURRENCIES)
    reg_status = _weighted(rng, REG_STATUS)
    motion = _weighted(rng, MOTIONS)
    stage = _weighted(rng, STAGES)
    previous_tier = _weighted(rng, PREVIOUS_TIER)
    family = _weighted(rng, tuple(FAMILIES.items()))

    if vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1048576")  # 1 GiB, this connection only
            cursor.execute("PRAGMA temp_store=MEMORY")

    with transaction.atomic():
        # Reference data (small): rates, certification catalog, customers.
        ExchangeRate.objects.bulk_create(
            [
                ExchangeRate(currency=cur, base="EUR", rate=rate, valid_from=valid)
                for cur, rate, valid in (
                    ("USD", "0.92", date(2024, 1, 1)),
                    ("USD", "0.88", date(2026, 1, 1)),
                    ("GBP", "1.17", date(2024, 1, 1)),
                    ("GBP", "1.15", date(2026, 1, 1)),
                )
            ]
        )
        certs = Certification.objects.bulk_create(
            [
                Certification(
                    code=f"BENCH-{fam.upper()}-{level[:3].upper()}",
                    name=f"{fam} {level}",
                    family=fam,
                    level=level,
                    validity_months=36,
                )
                for fam in FAMILIES
                for level in LEVELS
            ]
        )
        cert_ids: dict[str, list[int]] = defaultdict(list)
        for cert in Certification.objects.filter(pk__in=[c.pk for c in certs]).order_by("code"):
            cert_ids[cert.family].append(cert.pk)

        customers = Table(Customer, ["id", "external_id", "name", "country", "segment"])
        customer_count = max(100, partners * 2)
        segments = ("enterprise", "smb", "smb", "public")
        for cid in range(1, customer_count + 1):
            customers.add(cid, f"BK{cid:08d}", f"Customer {cid}", "FR", segments[cid % 4])

        # Partners first (the facts point to them), then facts partner by partner.
        t_partner = Table(
            Partner,
            [
                "id",
                "external_id",
                "name",
                "country",
                "status",
                "joined_on",
                "previous_tier",
                "merged_into",
                "recorded_at",
            ],
        )
        sizes: list[float] = [0.0]
        merged: set[int] = set()
        sigma = 0.8
        for pid in range(1, partners + 1):
            status = "active"
            roll = rand()
            if roll < 0.01:
                status = "terminated"
            elif roll < 0.03:
                status = "suspended"
            survivor = None
            if pid > 10 and rand() < 0.005:
                candidate = 1 + int(rand() * (pid - 1))
                if candidate not in merged:
                    survivor = candidate
                    merged.add(pid)
            t_partner.add(
                pid,
                f"BP{pid:07d}",
                f"Bench partner {pid}",
                "FR",
                status,
                day(700 + int(rand() * 3000)),
                previous_tier(),
                survivor,
                recorded,
            )
            sizes.append(min(8.0, rng.lognormvariate(-sigma * sigma / 2, sigma)))

        enrol = Table(TrackEnrolment, ["partner", "track", "enrolled_on", "ended_on"])
        people = Table(
            Person,
            [
                "id",
                "external_id",
                "partner",
                "email",
                "job_role",
                "employed_from",
                "employed_until",
                "recorded_at",
            ],
        )
        creds = Table(
            Credential,
            ["credential_id", "person", "certification", "earned_on", "expires_on", "recorded_at"],
        )
        regs = Table(
            DealRegistration,
            [
                "external_id",
                "partner",
                "customer",
                "customer_name",
                "product_line",
                "estimated_amount",
                "currency",
                "status",
                "registered_on",
                "decided_on",
                "expires_on",
                "recorded_at",
            ],
        )
        books = Table(
            Booking,
            [
                "external_id",
                "booked_on",
                "amount",
                "currency",
                "customer",
                "product_line",
                "channel",
                "motion",
                "quantity",
                "term_start",
                "term_end",
                "transacting_partner",
                "influencing_partner",
                "recorded_at",
            ],
        )
        usage = Table(
            CloudUsage,
            [
                "external_id",
                "partner",
                "month",
                "product_line",
                "quantity",
                "amount",
                "currency",
                "recorded_at",
            ],
        )
        opps = Table(
            Opportunity,
            [
                "id",
                "external_id",
                "customer",
                "name",
                "product_line",
                "amount",
                "currency",
                "stage",
                "created_on",
                "close_date",
                "recorded_at",
            ],
        )
        invs = Table(
            PartnerInvolvement,
            ["opportunity", "partner", "role", "validated", "validated_on", "recorded_at"],
        )
        fact_tables = {
            "enrolments": enrol,
            "people": people,
            "credentials": creds,
            "registrations": regs,
            "bookings": books,
            "cloud_usage": usage,
            "opportunities": opps,
            "involvements": invs,
        }
        order = [customers, t_partner, *fact_tables.values()]

        cursor = connection.cursor()

        insert_seconds = 0.0

        def flush() -> None:
            nonlocal insert_seconds
            t = time.perf_counter()
            for table in order:
                if table.rows:
                    table.flush(cursor)
            insert_seconds += time.perf_counter() - t

        flush()  # customers and partners

        months = []
        first = as_of.replace(day=1)
        for back in range(USAGE_MONTHS):
            index = first.year * 12 + first.month - 1 - back
            months.append(
                connection.ops.adapt_datefield_value(date(index // 12, index % 12 + 1, 1))
            )
        # A human working for two partners: some e-mails are reused by a later partner.
        recent_emails: list[str] = []
        person_id = credential_id = registration_id = booking_id = usage_id = 0
        opportunity_id = 0

        def count(mean: float, scale: float) -> int:
            """Stochastic rounding of ``mean * scale`` (expectation preserved)."""
            value = mean * scale
            whole = int(value)
            return whole + (1 if rand() < value - whole else 0)

        buffered = 0
        for pid in range(1, partners + 1):
            s = sizes[pid]
            # Track enrolments (every partner has at least one track).
            tracks = [
                t
                for t, share in (("solution_provider", 0.75), ("consulting", 0.35), ("ccsp", 0.10))
                if rand() < share
            ]
            if not tracks:
                tracks = ["solution_provider"]
            for track in tracks:
                start = 60 + int(rand() * 2500)
                ended = None
                if rand() < 0.03:
                    ended = day(int(rand() * 50))  # ended shortly before the as-of date
                enrol.add(pid, track, day(start), ended)
            # People and their credentials.
            staff: list[int] = []
            for _ in range(max(1, count(PEOPLE, s))):
                person_id += 1
                if recent_emails and rand() < 0.02:
                    email = recent_emails[int(rand() * len(recent_emails))]
                else:
                    email = f"p{person_id}@bp{pid}.example"
                    if len(recent_emails) < 1000:
                        recent_emails.append(email)
                    else:
                        recent_emails[int(rand() * 1000)] = email
                start = 30 + int(rand() * 3000)
                until = None
                if rand() < 0.12:
                    until = day(max(1, start - 30 - int(rand() * (start - 30 + 1))))
                roll = rand()
                role = "technical" if roll < 0.6 else "sales" if roll < 0.85 else "other"
                people.add(
                    person_id,
                    f"BE{person_id:08d}",
                    pid,
                    email,
                    role,
                    day(start),
                    until,
                    recorded,
                )
                staff.append(person_id)
            for _ in range(count(CREDENTIALS, s)):
                credential_id += 1
                earned = int(rand() * 1600)
                ids = cert_ids[family()]
                creds.add(
                    f"BC{credential_id:09d}",
                    staff[int(rand() * len(staff))],
                    ids[int(rand() * len(ids))],
                    day(earned),
                    day(earned - 1095),
                    recorded,
                )
            # Deal registrations over two years.
            for _ in range(count(REGISTRATIONS, s)):
                registration_id += 1
                registered = int(rand() * HISTORY_DAYS)
                status = reg_status()
                decided = (
                    None
                    if status == "submitted"
                    else day(max(0, registered - 1 - int(rand() * 30)))
                )
                customer = 1 + int(rand() * customer_count) if rand() < 0.8 else None
                regs.add(
                    f"BR{registration_id:09d}",
                    pid,
                    customer,
                    f"Customer {customer or 0}",
                    PRODUCT_LINES[int(rand() * 4)],
                    f"{20000 + rand() * 180000 * s:.2f}",
                    currency(),
                    status,
                    day(registered),
                    decided,
                    day(registered - 90),
                    recorded,
                )
            # Bookings: resold (indirect) and influenced (direct) over two years.
            deal = 35000 * math.sqrt(s)
            for _ in range(count(BOOKINGS, s)):
                booking_id += 1
                booked = int(rand() * HISTORY_DAYS)
                term = rand() < 0.6
                if rand() < RESOLD_SHARE:
                    channel, seller = "indirect", pid
                    helper = 1 + int(rand() * partners) if rand() < 0.1 else None
                    amount = deal * rng.lognormvariate(-0.32, 0.8)
                else:
                    channel, seller, helper = "direct", None, pid
                    amount = 4 * deal * rng.lognormvariate(-0.32, 0.8)
                books.add(
                    f"BB{booking_id:09d}",
                    day(booked),
                    f"{amount:.2f}",
                    currency(),
                    1 + int(rand() * customer_count),
                    PRODUCT_LINES[int(rand() * 5)],
                    channel,
                    motion(),
                    1 + int(rand() * 200),
                    day(booked) if term else None,
                    day(booked - 365) if term else None,
                    seller,
                    helper,
                    recorded,
                )
            # Cloud usage of cloud service providers: 24 months, growing.
            if "ccsp" in tracks:
                base = 25000 * s
                for back, month in enumerate(months):
                    usage_id += 1
                    amount = base * (1.02 ** (USAGE_MONTHS - back)) * (0.9 + 0.2 * rand())
                    usage.add(
                        f"BU{usage_id:09d}",
                        pid,
                        month,
                        "cloud-services",
                        f"{amount / 3:.4f}",
                        f"{amount:.2f}",
                        "EUR",
                        recorded,
                    )
            # Opportunities with one or two partner involvements.
            for _ in range(count(OPPORTUNITIES, 1.0)):
                opportunity_id += 1
                created = int(rand() * HISTORY_DAYS)
                st = stage()
                closed = (
                    day(max(0, created - 10 - int(rand() * 110))) if st in ("won", "lost") else None
                )
                opps.add(
                    opportunity_id,
                    f"BO{opportunity_id:09d}",
                    1 + int(rand() * customer_count),
                    f"Opportunity {opportunity_id}",
                    PRODUCT_LINES[int(rand() * 5)],
                    f"{50000 + rand() * 300000:.2f}",
                    "EUR",
                    st,
                    day(created),
                    closed,
                    recorded,
                )
                roll = rand()
                role = "sourced" if roll < 0.4 else "influenced" if roll < 0.8 else "resell"
                validated = rand() < 0.8
                invs.add(
                    opportunity_id,
                    pid,
                    role,
                    validated,
                    day(max(0, created - 5)) if validated else None,
                    recorded,
                )
                if rand() < 0.5:
                    other = 1 + int(rand() * partners)
                    if other != pid:
                        invs.add(opportunity_id, other, "influenced", True, day(created), recorded)
            buffered = sum(len(t.rows) for t in fact_tables.values())
            if buffered >= FLUSH_ROWS:
                flush()
        flush()
        cursor.close()
        if vendor == "postgresql":
            from django.core.management.color import no_style

            models = [Customer, Partner, Person, Opportunity]
            with connection.cursor() as c:
                for statement in connection.ops.sequence_reset_sql(no_style(), models):
                    c.execute(statement)

    result = Generated(
        rows={name: table.written for name, table in fact_tables.items()},
        reference_rows={
            "customers": customers.written,
            "partners": t_partner.written,
            "certifications": len(certs),
            "exchange_rates": 4,
        },
        insert_seconds=insert_seconds,
    )
    if analyze:
        t = time.perf_counter()
        with connection.cursor() as c:
            c.execute("ANALYZE")
        result.analyze_seconds = time.perf_counter() - t
    connection.close()  # the evaluation starts on a new connection with the project settings
    result.seconds = time.perf_counter() - started
    return result


def count_existing() -> Generated:
    """Row counts of an existing benchmark database (``--reuse``)."""
    from partnerprogram.enablement.models import Credential
    from partnerprogram.partners.models import Partner, Person, TrackEnrolment
    from partnerprogram.sales.models import (
        Booking,
        CloudUsage,
        Customer,
        DealRegistration,
        Opportunity,
        PartnerInvolvement,
    )

    models = {
        "people": Person,
        "credentials": Credential,
        "registrations": DealRegistration,
        "bookings": Booking,
        "cloud_usage": CloudUsage,
        "opportunities": Opportunity,
        "involvements": PartnerInvolvement,
        "enrolments": TrackEnrolment,
    }
    return Generated(
        rows={name: model.objects.count() for name, model in models.items()},
        reference_rows={"customers": Customer.objects.count(), "partners": Partner.objects.count()},
    )


# --------------------------------------------------------------------------- measurement


@dataclass
class Statement:
    phase: str
    kind: str  # read | write | other
    seconds: float
    sql: str
    params: Any
    many: bool


class QueryLog:
    """``connection.execute_wrapper`` recording every statement with its phase and duration."""

    def __init__(self) -> None:
        self.phase = "population"
        self.statements: list[Statement] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            head = sql.lstrip()[:6].upper()
            kind = (
                "read"
                if head.startswith(("SELECT", "WITH"))
                else "write"
                if head.startswith(("INSERT", "UPDATE", "DELETE"))
                else "other"
            )
            self.statements.append(
                Statement(self.phase, kind, time.perf_counter() - start, sql, params, many)
            )

    def counts(self, phase: str | None = None) -> dict[str, int]:
        selected = [s for s in self.statements if phase is None or s.phase == phase]
        kinds = Counter(s.kind for s in selected)
        return {
            "total": len(selected),
            "reads": kinds["read"],
            "writes": kinds["write"],
            "other": kinds["other"],
        }

    def seconds(self, phase: str) -> float:
        return sum(s.seconds for s in self.statements if s.phase == phase)


NEXT_PHASE = {"population": "metrics", "metrics": "rules", "rules": "persistence", "stored": "done"}


def measure(*, program_path: str, as_of: date) -> dict[str, Any]:
    """Load the program version, then time one full evaluation (stored)."""
    from django.db import connection

    from partnerprogram.programs.engine import evaluate
    from partnerprogram.programs.models import ProgramVersion
    from partnerprogram.programs.schema import load_program
    from partnerprogram.programs.services import program_versions_load

    parsed = load_program(program_path)
    version = (
        ProgramVersion.objects.select_related("program")
        .filter(program__key=parsed.program, version=parsed.version)
        .first()
    )
    if version is None:  # a reused database keeps the version it was first evaluated with
        program_versions_load(paths=[program_path])
        version = ProgramVersion.objects.select_related("program").get(
            program__key=parsed.program, version=parsed.version
        )
    connection.close()  # a fresh connection for the measured evaluation
    version = ProgramVersion.objects.select_related("program").get(pk=version.pk)

    log = QueryLog()
    marks: dict[str, float] = {}

    def progress(message: str) -> None:
        label = message.split(":", 1)[0].strip()
        marks[label] = time.perf_counter()
        log.phase = NEXT_PHASE.get(label, log.phase)

    with connection.execute_wrapper(log):
        start = time.perf_counter()
        evaluation = evaluate(version=version, as_of=as_of, store=True, progress=progress)
        end = time.perf_counter()
    missing = {"population", "metrics", "rules", "stored"} - set(marks)
    if missing:
        raise SystemExit(f"bench: the engine no longer reports {sorted(missing)} progress")
    phases = {
        "population": marks["population"] - start,
        "metrics": marks["metrics"] - marks["population"],
        "rules": marks["rules"] - marks["metrics"],
        "persistence": marks["stored"] - marks["rules"],
    }
    return {
        "program": f"{parsed.program} {parsed.version}",
        "program_file": program_path,
        "metric_refs": len(evaluation.values),
        "assessed": len(evaluation.results),
        "by_tier": evaluation.summary.get("by_tier", {}),
        "unassessed": evaluation.summary.get("unassessed"),
        "grandfathered": evaluation.summary.get("grandfathered"),
        "seconds": {**phases, "total": end - start},
        "sql_seconds": {phase: log.seconds(phase) for phase in phases},
        "queries": {
            **log.counts(),
            "by_phase": {phase: log.counts(phase) for phase in phases},
        },
        "run_id": evaluation.run.pk if evaluation.run else None,
        "_program": evaluation.program,
    }


def breakdown(*, program: Any, as_of: date, explain: bool, vendor: str) -> list[dict[str, Any]]:
    """Each metric reference computed alone: seconds, SQL seconds, partners with a value."""
    from django.db import connection

    from partnerprogram.programs.metrics import MetricContext, compute_metrics

    context = MetricContext(
        as_of=as_of, currency=program.currency, fiscal_year_start=program.fiscal_year_start
    )
    out = []
    for ref in sorted(program.metric_refs(), key=lambda r: r.key):
        log = QueryLog()
        log.phase = "metric"
        with connection.execute_wrapper(log):
            start = time.perf_counter()
            values = compute_metrics(
                [(ref.key, ref.metric, ref.where_dict(), ref.window)], context=context
            )[ref.key]
            seconds = time.perf_counter() - start
        item: dict[str, Any] = {
            "key": ref.key,
            "seconds": seconds,
            "sql_seconds": sum(s.seconds for s in log.statements),
            "queries": len(log.statements),
            "partners_with_value": len(values),
        }
        if explain:
            main = max(log.statements, key=lambda s: s.seconds)
            prefix = "EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN "
            with connection.cursor() as cursor:
                cursor.execute(prefix + main.sql, main.params)
                plan = cursor.fetchall()
            item["sql"] = main.sql
            item["plan"] = [" | ".join(str(col) for col in row) for row in plan]
        out.append(item)
    return out


# --------------------------------------------------------------------------- report


def _report(
    args: argparse.Namespace,
    db: Database,
    gen: Generated,
    m: dict[str, Any],
    parts: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    from django.db import connection

    total = m["seconds"]["total"]
    version = (
        connection.Database.sqlite_version
        if db.vendor == "sqlite"
        else (".".join(str(x) for x in divmod(connection.pg_version, 10000)))
    )
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "database": f"{db.vendor} {version}",
        },
        "database": db.description if args.keep or args.reuse else None,
        "seed": args.seed,
        "as_of": args.as_of.isoformat(),
        "program": m["program"],
        "metric_refs": m["metric_refs"],
        "partners": args.partners if not args.reuse else gen.reference_rows.get("partners"),
        "assessed": m["assessed"],
        "fact_rows": gen.fact_rows,
        "fact_rows_by_table": gen.rows,
        "reference_rows": gen.reference_rows,
        "generation_seconds": None if args.reuse else round(gen.seconds, 2),
        "generation_insert_seconds": None if args.reuse else round(gen.insert_seconds, 2),
        "analyze_seconds": round(gen.analyze_seconds, 2) if args.analyze else None,
        "seconds": {k: round(v, 3) for k, v in m["seconds"].items()},
        "sql_seconds": {k: round(v, 3) for k, v in m["sql_seconds"].items()},
        "fact_rows_per_second": round(gen.fact_rows / total) if total else None,
        "queries": m["queries"],
        "by_tier": m["by_tier"],
        "unassessed": m["unassessed"],
        "grandfathered": m["grandfathered"],
        "metric_breakdown": parts,
    }


def _text(report: dict[str, Any]) -> str:
    s, q, sql = report["seconds"], report["queries"], report["sql_seconds"]
    lines = [
        f"partnerprogram evaluation benchmark — {report['date']}",
        f"machine: {report['machine']['cpus']} CPUs, {report['machine']['platform']}, "
        f"Python {report['machine']['python']}, {report['machine']['database']}",
        f"program: {report['program']} ({report['metric_refs']} metric references), "
        f"as of {report['as_of']}, seed {report['seed']}",
        f"partners: {report['partners']:,} ({report['assessed']:,} assessed)",
        f"fact rows: {report['fact_rows']:,} ("
        + ", ".join(f"{k} {v:,}" for k, v in report["fact_rows_by_table"].items())
        + ")",
    ]
    if report["generation_seconds"] is not None:
        lines.append(
            f"generation (not measured): {report['generation_seconds']:.1f} s, of which "
            f"{report['generation_insert_seconds']:.1f} s executemany"
        )
    lines += [
        "evaluation (seconds; SQL time in brackets):",
        f"  population   {s['population']:8.3f}  [{sql['population']:.3f}]",
        f"  metrics      {s['metrics']:8.3f}  [{sql['metrics']:.3f}]",
        f"  rules        {s['rules']:8.3f}  [{sql['rules']:.3f}]",
        f"  persistence  {s['persistence']:8.3f}  [{sql['persistence']:.3f}]",
        f"  total        {s['total']:8.3f}",
        f"fact rows per second: {report['fact_rows_per_second']:,}",
        f"queries: {q['total']} ({q['reads']} reads, {q['writes']} writes, {q['other']} other); "
        + ", ".join(f"{p} {c['total']}" for p, c in q["by_phase"].items()),
        "tiers: "
        + ", ".join(f"{k} {v:,}" for k, v in report["by_tier"].items())
        + f", none {report['unassessed']:,}, grandfathered {report['grandfathered']:,}",
    ]
    if report["metric_breakdown"]:
        lines.append("metric references computed alone (seconds, SQL seconds, partners):")
        for item in report["metric_breakdown"]:
            lines.append(
                f"  {item['key']:<52} {item['seconds']:8.3f} {item['sql_seconds']:8.3f} "
                f"{item['partners_with_value']:>9,}"
            )
            for row in item.get("plan", []):
                lines.append(f"      plan: {row}")
    if report["database"]:
        lines.append(f"database kept: {report['database']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    db = prepare_database(args)
    try:
        setup_django(db.url)
        from django.core.management import call_command

        if args.reuse:
            gen = count_existing()
        else:
            call_command("migrate", verbosity=0, interactive=False)
            gen = generate(
                partners=args.partners,
                seed=args.seed,
                as_of=args.as_of,
                vendor=db.vendor,
                analyze=args.analyze,
            )
            print(
                f"generated {gen.fact_rows:,} fact rows for {args.partners:,} partners "
                f"in {gen.seconds:.1f} s",
                file=sys.stderr,
            )
        measured = measure(program_path=args.program, as_of=args.as_of)
        program = measured.pop("_program")
        parts = None
        if not args.no_breakdown:
            parts = breakdown(
                program=program, as_of=args.as_of, explain=args.explain, vendor=db.vendor
            )
        report = _report(args, db, gen, measured, parts)
        if args.format == "json":
            print(json.dumps(report, indent=2, default=str))
        else:
            print(_text(report))
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django not set up yet
            pass
        if not args.keep and not args.reuse:
            db.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
