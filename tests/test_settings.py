"""Settings come from the environment and fail loudly in production."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests of the same session; the deploy
    # check rightly rejects it. DATABASE_URL is dropped: these commands run on a throw-away
    # SQLite file under PARTNERPROGRAM_HOME whatever database the suite runs on.
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "-m", "partnerprogram.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy() -> None:
    result = _run(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "-production-secret-key-of-sufficient-length-and-variety-42",
            "ALLOWED_HOSTS": "partners.example.com",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_in_production_fails_loudly() -> None:
    result = _run({"DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_boolean_is_refused(value: str) -> None:
    result = _run({"DEBUG": value}, "check")
    assert result.returncode != 0
    assert f"DEBUG={value!r}" in result.stderr


def test_unmigrated_database_is_a_clear_error(tmp_path: object) -> None:
    result = _run({"PARTNERPROGRAM_HOME": str(tmp_path)}, "report", "kpis", "--as-of", "2026-12-31")
    assert result.returncode == 2
    assert "run `partnerprogram migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_exchange_rate_is_a_clear_error(tmp_path: object) -> None:
    home = {"PARTNERPROGRAM_HOME": str(tmp_path)}
    assert _run(home, "migrate", "-v", "0").returncode == 0
    result = _run(home, "report", "kpis", "--as-of", "2026-12-31", "--currency", "XYZ")
    # no facts: nothing to convert, the KPIs are zeros and undefined shares
    assert result.returncode == 0, result.stderr
    script = (
        "from datetime import date; from decimal import Decimal;"
        "from tests.factories import BookingFactory;"
        "BookingFactory(currency='GBP', amount=Decimal('10.00'), booked_on=date(2026, 6, 1))"
    )
    seeded = _run(home, "shell", "-c", script)
    assert seeded.returncode == 0, seeded.stderr
    result = _run(home, "report", "kpis", "--as-of", "2026-12-31")
    assert result.returncode == 2
    assert "no exchange rate from GBP to EUR in force on 2026-12-31" in result.stderr
    assert "Traceback" not in result.stderr


_WRITER = """
from django.db import transaction
from partnerprogram.sales.models import Customer
for i in range(25):
    with transaction.atomic():
        n = Customer.objects.count()  # a read first: the transaction would upgrade to a write
        Customer.objects.create(external_id=f"{WHO}-{i}", name=f"after {n}")
print("done")
"""


def test_concurrent_writers_wait_on_sqlite_instead_of_failing(tmp_path: object) -> None:
    """Four processes each run 25 read-then-write transactions on the same SQLite file. With
    SQLite's default (deferred) transactions, a reader that then writes after another process
    committed fails at once with "database is locked"; the settings open transactions
    IMMEDIATE, so writers queue within the timeout: 4 x 25 = 100 rows, no error."""
    env = {"PARTNERPROGRAM_HOME": str(tmp_path)}
    assert _run(env, "migrate", "--noinput", "-v", "0").returncode == 0
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "partnerprogram.cli",
                "shell",
                "--no-imports",
                "-c",
                _WRITER.replace("{WHO}", f"w{n}"),
            ],
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "done"
    count = _run(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from partnerprogram.sales.models import Customer; print(Customer.objects.count())",
    )
    assert count.stdout.strip() == "100"
