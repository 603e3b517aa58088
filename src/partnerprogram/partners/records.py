"""Record kinds of the partners app for ``core.records.records_upsert``: ``partners`` and
``people`` (their fields, key, references and invariants)."""

from __future__ import annotations

from partnerprogram.core.upserts import (
    COUNTRY_PATTERN,
    FieldSpec,
    KindSpec,
    Problems,
    RowContext,
)
from partnerprogram.partners.models import Partner, Person

EXTERNAL_ID_HELP = "the source system's id of the row (unique; the upsert key)"


def _partner_check(row: RowContext) -> Problems:
    if row.pk is not None and row.values["merged_into"] == row.pk:
        return [("merged_into", "A partner cannot be merged into itself.")]
    return []


def _person_check(row: RowContext) -> Problems:
    v = row.values
    if v["employed_until"] is not None and v["employed_until"] <= v["employed_from"]:
        return [
            (
                "employed_until",
                "employed_until must be after employed_from (it is the first day no longer "
                "employed).",
            )
        ]
    return []


PARTNERS = KindSpec(
    name="partners",
    model=Partner,
    label="partner",
    help="Organizations enrolled in the program (one legal entity in one country).",
    check=_partner_check,
    fields=(
        FieldSpec("external_id", "str", True, EXTERNAL_ID_HELP, "P-00042", max_length=64),
        FieldSpec("name", "str", True, "legal or trading name", "Acme Cloud SAS", max_length=255),
        FieldSpec(
            "siren",
            "str",
            False,
            "French company number (9 digits)",
            "552100554",
            max_length=9,
            pattern=r"^[0-9]{9}$",
            pattern_help="siren must be 9 digits.",
        ),
        FieldSpec("vat_number", "str", False, "VAT number", "FR40552100554", max_length=20),
        FieldSpec(
            "country",
            "str",
            True,
            "ISO 3166-1 alpha-2 country code",
            "FR",
            max_length=2,
            pattern=COUNTRY_PATTERN,
            pattern_help="country must be an ISO 3166-1 alpha-2 code: 2 upper-case letters "
            "such as FR.",
        ),
        FieldSpec("city", "str", False, "city of the head office", "Lyon", max_length=128),
        FieldSpec(
            "status",
            "choice",
            False,
            "standing in the partner agreement (default active)",
            "active",
            choices=tuple(Partner.Status.values),
        ),
        FieldSpec("joined_on", "date", False, "date the partner joined the program", "2021-03-15"),
        FieldSpec(
            "contact_email",
            "str",
            False,
            "where program notices are e-mailed",
            "channel@acme.example",
            max_length=254,
            email=True,
        ),
        FieldSpec(
            "previous_tier",
            "str",
            False,
            "tier key held under the previous program (grandfathering reads it)",
            "premier",
            max_length=32,
        ),
        FieldSpec(
            "merged_into",
            "ref",
            False,
            "external id of the surviving partner after a merger (must already be stored)",
            "P-00007",
            ref_kind="partners",
            max_length=64,
        ),
    ),
)


PEOPLE = KindSpec(
    name="people",
    model=Person,
    label="person",
    help="People employed by a partner, one row per employment (same e-mail at two partners: "
    "two rows). A partner may write its own people.",
    partner_writable=True,
    owner="partner",
    unique=(("partner", "email", "employed_from"),),
    check=_person_check,
    fields=(
        FieldSpec("external_id", "str", True, EXTERNAL_ID_HELP, "PER-000123", max_length=64),
        FieldSpec(
            "partner",
            "ref",
            True,
            "external id of the employing partner (a partner-scoped upload may omit it)",
            "P-00042",
            ref_kind="partners",
            max_length=64,
        ),
        FieldSpec(
            "email", "str", True, "work e-mail", "jane.doe@acme.example", max_length=254, email=True
        ),
        FieldSpec("first_name", "str", False, "first name", "Jane", max_length=128),
        FieldSpec("last_name", "str", False, "last name", "Doe", max_length=128),
        FieldSpec(
            "job_role",
            "choice",
            False,
            "job role (default other)",
            "technical",
            choices=tuple(Person.JobRole.values),
        ),
        FieldSpec("employed_from", "date", True, "first day employed (inclusive)", "2024-01-08"),
        FieldSpec(
            "employed_until",
            "date",
            False,
            "first day no longer employed (exclusive); empty while employed",
            "2026-06-30",
        ),
    ),
)

PARTNER_KINDS = (PARTNERS, PEOPLE)
