"""Record kinds of the partners app for ``core.records.records_upsert``: ``partners`` and
``people`` (their fields, key, references and invariants)."""

from __future__ import annotations

from typing import Any

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


def _merger_check(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str, str]]:
    """Mergers stay one step: a partner is merged into a surviving partner, never into itself,
    into a partner that is itself merged, nor while other partners are merged into it (no
    chains, no cycles). The state judged is the stored one overridden by every row of the chunk
    that carries ``merged_into`` (accepted or not, whatever their order, so that ``A -> B`` and
    ``B -> A`` in one file are both refused). Two queries. Returns ``[(row, field, reason)]``."""
    requests: dict[str, str | None] = {}
    for _number, values in rows:
        ext = values.get("external_id")
        if ext is not None and "merged_into" in values:
            requests[ext] = values["merged_into"]
    asking = [
        (n, v["external_id"], v["merged_into"])
        for n, v in rows
        if v.get("merged_into") and v.get("external_id")
    ]
    if not asking:
        return []
    ids = {ext for _n, ext, _t in asking} | {t for _n, _e, t in asking}
    stored_target = dict(
        Partner.objects.filter(external_id__in=ids, merged_into__isnull=False).values_list(
            "external_id", "merged_into__external_id"
        )
    )
    incoming: dict[str, set[str]] = {}
    for source, target in Partner.objects.filter(
        merged_into__external_id__in={ext for _n, ext, _t in asking}
    ).values_list("external_id", "merged_into__external_id"):
        if requests.get(source, target) == target:  # not re-pointed by this chunk
            incoming.setdefault(target, set()).add(source)
    for source, requested in requests.items():
        if requested is not None:
            incoming.setdefault(requested, set()).add(source)

    def target_of(ext: str) -> str | None:
        return requests[ext] if ext in requests else stored_target.get(ext)

    out: list[tuple[int, str, str]] = []
    for number, ext, target in asking:
        if target == ext:
            out.append((number, "merged_into", "A partner cannot be merged into itself."))
            continue
        further = target_of(target)
        if further == ext:
            out.append(
                (
                    number,
                    "merged_into",
                    f"{ext} and {target} would be merged into each other (a cycle): merge one "
                    "into the other, not both.",
                )
            )
        elif further is not None:
            out.append(
                (
                    number,
                    "merged_into",
                    f"{target} is itself merged into {further}: merge {ext} into the surviving "
                    f"partner ({further} or the end of its chain), not into a merged one.",
                )
            )
        merged_here = sorted(incoming.get(ext, set()) - {target})
        if merged_here and further != ext:
            out.append(
                (
                    number,
                    "merged_into",
                    f"{', '.join(merged_here[:5])} "
                    f"{'is' if len(merged_here) == 1 else 'are'} merged into {ext}: a partner "
                    f"other partners are merged into cannot itself be merged (no chains); merge "
                    f"them into {target} first.",
                )
            )
    return out


def _person_check(row: RowContext) -> Problems:
    v = row.values
    if row.existing is not None and v["partner"] != row.existing["partner"]:
        return [
            (
                "partner",
                "A person's employment at another partner is a new person row: end this one "
                "with employed_until and add one for the new partner.",
            )
        ]
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
    chunk_check=_merger_check,
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
            iso="country",
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
            "external id of the surviving partner after a merger (stored, or on an earlier row "
            "of the same file; not itself merged)",
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
