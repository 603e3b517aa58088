"""Fixtures of the import tests: the third-party sample files (copied into tests/data, never
read from outside the repository) and a helper running ``file_import`` as a command would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from partnerprogram.imports.services import ImportReport, file_import

THIRDPARTY = Path(__file__).resolve().parent.parent / "data" / "thirdparty"
SALESFORCE = THIRDPARTY / "salesforce"
FOCUS = THIRDPARTY / "focus" / "focus_sample.csv"


def run_import(kind: str, path: Path | str, **options: Any) -> ImportReport:
    """``file_import`` as the tests call it (actor ``cli:test``)."""
    return file_import(kind=kind, path=path, actor="cli:test", **options)


@pytest.fixture
def write_csv(tmp_path: Path) -> Any:
    """``write_csv(name, text)`` -> the path of a UTF-8 file holding ``text``."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def usd_rate(db: None) -> None:
    """A USD -> EUR rate: the sample files are in USD, and a currency the engine cannot
    convert is rejected (``core.records``: "no exchange rate for USD")."""
    from datetime import date
    from decimal import Decimal

    from partnerprogram.core.models import ExchangeRate

    ExchangeRate.objects.create(
        currency="USD", base="EUR", rate=Decimal("0.92"), valid_from=date(2020, 1, 1)
    )
