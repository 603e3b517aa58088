"""Output schemas of the API (what a GET returns), one per resource. References to other rows
are their external ids (``partner: "P-0001"``), named as the import columns, so a list
exported as CSV imports back. Dates are ISO dates in the program time zone; money is a decimal
string with its ISO 4217 ``currency``.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


def _ext(obj: Any) -> str | None:
    return None if obj is None else str(obj.external_id)


class PartnerOut(Schema):
    external_id: str
    name: str
    country: str
    city: str
    siren: str
    vat_number: str
    status: str
    joined_on: date | None
    contact_email: str
    previous_tier: str
    merged_into: str | None

    @staticmethod
    def resolve_merged_into(obj: Any) -> str | None:
        return _ext(obj.merged_into)


class CustomerOut(Schema):
    external_id: str
    name: str
    country: str
    segment: str


class PersonOut(Schema):
    external_id: str
    partner: str
    email: str
    first_name: str
    last_name: str
    job_role: str
    employed_from: date
    employed_until: date | None

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.partner.external_id)


class CertificationOut(Schema):
    external_id: str = Field(description="the certification code")
    name: str
    family: str
    level: str
    validity_months: int | None

    @staticmethod
    def resolve_external_id(obj: Any) -> str:
        return str(obj.code)


class CredentialOut(Schema):
    external_id: str = Field(description="the registry's credential id")
    person: str
    partner: str = Field(description="the person's partner (read only: ignored on writes)")
    certification: str
    earned_on: date
    expires_on: date | None

    @staticmethod
    def resolve_external_id(obj: Any) -> str:
        return str(obj.credential_id)

    @staticmethod
    def resolve_person(obj: Any) -> str:
        return str(obj.person.external_id)

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.person.partner.external_id)

    @staticmethod
    def resolve_certification(obj: Any) -> str:
        return str(obj.certification.code)


class OpportunityOut(Schema):
    external_id: str
    customer: str
    name: str
    product_line: str
    amount: Decimal
    currency: str
    stage: str
    created_on: date
    close_date: date | None

    @staticmethod
    def resolve_customer(obj: Any) -> str:
        return str(obj.customer.external_id)


class InvolvementOut(Schema):
    opportunity: str
    partner: str
    role: str
    validated: bool
    validated_on: date | None
    decided_on: date | None
    decided_by: str
    decision_reason: str

    @staticmethod
    def resolve_opportunity(obj: Any) -> str:
        return str(obj.opportunity.external_id)

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.partner.external_id)


class DealRegistrationOut(Schema):
    external_id: str
    partner: str
    customer: str | None
    customer_name: str
    product_line: str
    estimated_amount: Decimal
    currency: str
    status: str
    registered_on: date
    expected_close_on: date | None
    decided_on: date | None
    decided_by: str
    expires_on: date | None
    decision_reason: str
    opportunity: str | None

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.partner.external_id)

    @staticmethod
    def resolve_customer(obj: Any) -> str | None:
        return _ext(obj.customer)

    @staticmethod
    def resolve_opportunity(obj: Any) -> str | None:
        return _ext(obj.opportunity)


class BookingOut(Schema):
    external_id: str
    booked_on: date
    amount: Decimal
    currency: str
    customer: str
    product_line: str
    channel: str
    motion: str
    quantity: Decimal
    term_start: date | None
    term_end: date | None
    opportunity: str | None
    transacting_partner: str | None
    influencing_partner: str | None

    @staticmethod
    def resolve_customer(obj: Any) -> str:
        return str(obj.customer.external_id)

    @staticmethod
    def resolve_opportunity(obj: Any) -> str | None:
        return _ext(obj.opportunity)

    @staticmethod
    def resolve_transacting_partner(obj: Any) -> str | None:
        return _ext(obj.transacting_partner)

    @staticmethod
    def resolve_influencing_partner(obj: Any) -> str | None:
        return _ext(obj.influencing_partner)


class CloudUsageOut(Schema):
    external_id: str
    partner: str
    month: date
    product_line: str
    quantity: Decimal
    unit: str
    amount: Decimal
    currency: str

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.partner.external_id)


class ProgramVersionOut(Schema):
    program: str
    version: str
    effective_from: date
    status: str
    sha256: str
    loaded_at: datetime

    @staticmethod
    def resolve_program(obj: Any) -> str:
        return str(obj.program.key)


class ProgramVersionDetailOut(ProgramVersionOut):
    definition: dict[str, Any] = Field(description="the canonical JSON of the program")


class EvaluationRunOut(Schema):
    id: int
    program: str
    version: str
    as_of: date
    known_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    partner_count: int
    summary: dict[str, Any]

    @staticmethod
    def resolve_program(obj: Any) -> str:
        return str(obj.program_version.program.key)

    @staticmethod
    def resolve_version(obj: Any) -> str:
        return str(obj.program_version.version)


class EvaluationRunIn(Schema):
    program: str = Field(max_length=64, description="program key, e.g. pex-fr")
    version: str | None = Field(
        None, max_length=32, description="version (default: the one in force on as_of)"
    )
    as_of: date = Field(description="evaluation date (program time zone)")


class AssessmentOut(Schema):
    run: int
    program: str
    version: str
    as_of: date
    partner: str
    tier: str
    qualified_tier: str
    previous_tier: str
    grandfathered: bool
    next_tier: str
    detail: dict[str, Any] = Field(description="metric values, per-track results, gaps")

    @staticmethod
    def resolve_run(obj: Any) -> int:
        return int(obj.run_id)

    @staticmethod
    def resolve_program(obj: Any) -> str:
        return str(obj.run.program_version.program.key)

    @staticmethod
    def resolve_version(obj: Any) -> str:
        return str(obj.run.program_version.version)

    @staticmethod
    def resolve_as_of(obj: Any) -> date:
        as_of: date = obj.run.as_of
        return as_of

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.partner.external_id)


class StandingOut(Schema):
    partner: str
    track: str = Field(description="blank: the overall standing")
    tier: str
    status: str
    valid_from: date
    valid_until: date | None
    frozen_until: date | None
    grandfathered_until: date | None
    reason: str
    program: str
    version: str
    decided_by: str

    @staticmethod
    def resolve_partner(obj: Any) -> str:
        return str(obj.partner.external_id)

    @staticmethod
    def resolve_program(obj: Any) -> str:
        return str(obj.program_version.program.key)

    @staticmethod
    def resolve_version(obj: Any) -> str:
        return str(obj.program_version.version)


class DecisionIn(Schema):
    decision: str = Field(pattern="^(approved|rejected)$", description="approved or rejected")
    reason: str = Field("", max_length=2000, description="required to reject; shown to the partner")
    on: date | None = Field(None, description="decision date (default: today)")


class UpsertOut(Schema):
    """The outcome of one upsert: ``status`` created, updated or unchanged, and the row."""

    status: str
    item: dict[str, Any]


class BulkReportOut(Schema):
    """The outcome of a bulk upsert (applied whole, or refused whole with a 422 problem)."""

    kind: str
    created: int
    updated: int
    unchanged: int
    applied: bool
    created_ids: list[str]
    updated_ids: list[str]


class MeOut(Schema):
    """Who the request acts as."""

    scope: str = Field(description="vendor or partner")
    partner: str | None
    actor: str
