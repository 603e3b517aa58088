"""An export re-imports to the same data (issue item 11): ``fact_rows_export`` of every kind,
written as CSV and as XLSX by the same helpers the console and ``partnerprogram export`` use,
read back with the generic mapping:

- on the same database every row is ``unchanged`` (nothing created or updated);
- on an emptied database, importing the kinds in order (references first) recreates rows whose
  every exported field equals the original, compared field by field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from partnerprogram.core.exports import FORMATS, ExportFormat
from partnerprogram.core.records import KINDS
from partnerprogram.imports.exports import fact_export_write, fact_rows_export
from partnerprogram.partners.models import Partner
from partnerprogram.sales.models import Booking, DealRegistration, Opportunity, PartnerInvolvement
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    CustomerFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerInvolvementFactory,
    PersonFactory,
)
from tests.imports.conftest import run_import


def _world() -> None:
    """Two of each kind, with optional fields both set and empty, texts that look like formulas
    (the CSV export quotes them), accents, and decimals with cents."""
    alpha = PartnerFactory(
        external_id="P-1",
        name="=Alpha & Fils",
        siren="552100554",
        vat_number="FR40552100554",
        contact_email="channel@alpha.example",
        previous_tier="premier",
        joined_on=date(2021, 3, 15),
    )
    beta = PartnerFactory(
        external_id="P-2",
        name="Béta Conseil",
        city="",
        status=Partner.Status.SUSPENDED,
        joined_on=None,
    )
    acme = CustomerFactory(external_id="C-1", name="-Acme", country="")
    globex = CustomerFactory(external_id="C-2", name="Globex", segment="enterprise")
    ann = PersonFactory(external_id="PER-1", partner=alpha, email="ann@alpha.example")
    bob = PersonFactory(
        external_id="PER-2",
        partner=beta,
        email="bob@beta.example",
        first_name="",
        employed_until=date(2026, 6, 1),
    )
    cert = CertificationFactory(code="RHCE", name="Red Hat Certified Engineer")
    CredentialFactory(credential_id="CR-1", person=ann, certification=cert)
    CredentialFactory(
        credential_id="CR-2", person=bob, certification=cert, expires_on=date(2028, 1, 1)
    )
    deal = OpportunityFactory(external_id="O-1", customer=acme, amount=Decimal("1234.56"))
    won = OpportunityFactory(
        external_id="O-2",
        customer=globex,
        stage=Opportunity.Stage.WON,
        close_date=date(2026, 4, 30),
    )
    PartnerInvolvementFactory(opportunity=deal, partner=alpha)
    PartnerInvolvementFactory(
        opportunity=won,
        partner=beta,
        role=PartnerInvolvement.Role.SOURCED,
        validated=False,
        validated_on=None,
    )
    DealRegistrationFactory(external_id="DR-1", partner=alpha, customer=acme, opportunity=deal)
    DealRegistrationFactory(
        external_id="DR-2",
        partner=beta,
        status=DealRegistration.Status.REJECTED,
        decided_on=date(2026, 3, 5),
        decided_by="user:channel",
        decision_reason="Already registered, 2 lines\nsecond line",
    )
    BookingFactory(
        external_id="B-1",
        customer=acme,
        transacting_partner=alpha,
        influencing_partner=beta,
        opportunity=won,
        quantity=Decimal("12.50"),
        term_start=date(2026, 1, 1),
        term_end=date(2027, 1, 1),
        motion=Booking.Motion.RENEWAL,
    )
    BookingFactory(
        external_id="B-2",
        customer=globex,
        transacting_partner=None,
        channel=Booking.Channel.DIRECT,
        amount=Decimal("0.01"),
    )
    CloudUsageFactory(external_id="CU-1", partner=alpha, amount=Decimal("99.99"))
    CloudUsageFactory(
        external_id="CU-2", partner=beta, month=date(2026, 2, 1), quantity=Decimal("0.0001")
    )


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {kind: list(fact_rows_export(kind=kind)[1]) for kind in KINDS}


def _write(kind: str, fmt: ExportFormat, folder: Path) -> Path:
    path = folder / f"{kind}.{fmt}"
    fact_export_write(kind=kind, path=path, fmt=fmt)
    return path


def _normalise(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # Decimal('12.50') == Decimal('12.5'): compare numbers by value, the rest as is
    return [tuple(Decimal(v) if isinstance(v, Decimal) else v for v in row) for row in rows]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_reimports_unchanged_on_the_same_database(
    fmt: ExportFormat, tmp_path: Path
) -> None:
    _world()
    before = _snapshot()
    for kind in KINDS:
        path = _write(kind, fmt, tmp_path)
        report = run_import(kind, path)
        assert (report.created, report.updated, report.rejected) == (0, 0, 0), (
            kind,
            report.errors,
        )
        # two rows of each kind in _world(); CertificationFactory makes one (RHCE)
        assert report.unchanged == (1 if kind == "certifications" else 2), kind
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_recreates_identical_rows_on_an_empty_database(
    fmt: ExportFormat, tmp_path: Path
) -> None:
    _world()
    before = _snapshot()
    files = {kind: _write(kind, fmt, tmp_path) for kind in KINDS}
    for kind in reversed(list(KINDS)):
        KINDS[kind].model._default_manager.all().delete()
    assert all(not rows for rows in _snapshot().values())
    for kind in KINDS:
        report = run_import(kind, files[kind])
        assert report.rejected == 0, (kind, report.errors)
        assert report.created == len(before[kind]), kind
    after = _snapshot()
    for kind in KINDS:
        # row order is the primary key order of the re-created rows: the export order
        assert _normalise(after[kind]) == _normalise(before[kind]), kind


@pytest.mark.django_db
def test_export_command_writes_a_file_the_import_command_reads_back(tmp_path: Path) -> None:
    _world()
    target = tmp_path / "bookings.xlsx"
    call_command("export", "bookings", str(target))
    assert target.read_bytes()[:2] == b"PK"  # an XLSX (zip) chosen from the extension
    report = run_import("bookings", target)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
