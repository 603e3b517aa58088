"""Record kinds of the enablement app for ``core.records.records_upsert``: ``certifications``
(the catalog, keyed by ``code``) and ``credentials`` (keyed by the registry's
``credential_id``)."""

from __future__ import annotations

from partnerprogram.core.upserts import SLUG_PATTERN, FieldSpec, KindSpec, Problems, RowContext
from partnerprogram.enablement.models import Certification, Credential


def _credential_check(row: RowContext) -> Problems:
    v = row.values
    if v["expires_on"] is not None and v["expires_on"] <= v["earned_on"]:
        return [("expires_on", "expires_on must be after earned_on.")]
    return []


CERTIFICATIONS = KindSpec(
    name="certifications",
    model=Certification,
    label="certification",
    help="The certification catalog. The key is the certification code.",
    fields=(
        FieldSpec(
            "external_id",
            "str",
            True,
            "the certification code (unique; the upsert key; credentials refer to it)",
            "EX280",
            attr="code",
            max_length=64,
        ),
        FieldSpec(
            "name", "str", True, "name", "Red Hat Certified OpenShift Administrator", max_length=255
        ),
        FieldSpec(
            "family",
            "str",
            True,
            "product family (a slug: letters, digits, - and _)",
            "openshift",
            max_length=64,
            pattern=SLUG_PATTERN,
            pattern_help="family must be a slug: letters, digits, - and _ only.",
        ),
        FieldSpec(
            "level",
            "str",
            True,
            "depth (foundational, associate, professional, specialty, accreditation...)",
            "professional",
            max_length=64,
            pattern=SLUG_PATTERN,
            pattern_help="level must be a slug: letters, digits, - and _ only.",
        ),
        FieldSpec(
            "validity_months",
            "int",
            False,
            "months a credential lasts (empty: no expiry)",
            "36",
            ge=1,
            le=32767,
        ),
    ),
)

CREDENTIALS = KindSpec(
    name="credentials",
    model=Credential,
    label="credential",
    help="Certifications earned by people (from the certification registry). The key is the "
    "registry's credential id.",
    check=_credential_check,
    fields=(
        FieldSpec(
            "external_id",
            "str",
            True,
            "the registry's credential id (unique; the upsert key)",
            "CRED-2026-000981",
            attr="credential_id",
            max_length=64,
        ),
        FieldSpec(
            "person",
            "ref",
            True,
            "external id of the person who earned it",
            "PER-000123",
            ref_kind="people",
            max_length=64,
        ),
        FieldSpec(
            "certification",
            "ref",
            True,
            "certification code",
            "EX280",
            ref_kind="certifications",
            max_length=64,
        ),
        FieldSpec("earned_on", "date", True, "date earned (counts from that day)", "2025-05-20"),
        FieldSpec(
            "expires_on",
            "date",
            False,
            "first day it no longer counts (exclusive); empty: no expiry",
            "2028-05-20",
        ),
    ),
)

ENABLEMENT_KINDS = (CERTIFICATIONS, CREDENTIALS)
