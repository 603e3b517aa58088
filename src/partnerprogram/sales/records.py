"""Record kinds of the sales app for ``core.records.records_upsert``: ``customers``,
``opportunities``, ``involvements``, ``deal_registrations``, ``bookings`` and ``cloud_usage``.

Amounts are decimals with at most 2 decimals in the row's ``currency`` (ISO 4217); quantities
of cloud usage have up to 4 decimals. Involvements have no external id: their key is
``(opportunity, partner, role)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from partnerprogram.audit.services import audit_record_bulk
from partnerprogram.core.upserts import (
    COUNTRY_PATTERN,
    CURRENCY_PATTERN,
    SLUG_PATTERN,
    FieldSpec,
    KindSpec,
    Problems,
    RowContext,
)
from partnerprogram.sales.models import (
    Booking,
    CloudUsage,
    Customer,
    DealRegistration,
    Opportunity,
    PartnerInvolvement,
)
from partnerprogram.sales.rules import deal_registration_problems

EXTERNAL_ID_HELP = "the source system's id of the row (unique; the upsert key)"
CURRENCY_HELP = "currency must be an ISO 4217 code: 3 upper-case letters such as EUR."


def _external_id(example: str) -> FieldSpec:
    return FieldSpec("external_id", "str", True, EXTERNAL_ID_HELP, example, max_length=64)


def _ref(name: str, kind: str, required: bool, help: str, example: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "ref", required, help, example, ref_kind=kind, max_length=64, **kw)


def _product_line(required: bool = True) -> FieldSpec:
    return FieldSpec(
        "product_line",
        "str",
        required,
        "the vendor's product line (a slug: letters, digits, - and _)",
        "openshift",
        max_length=64,
        pattern=SLUG_PATTERN,
        pattern_help="product_line must be a slug: letters, digits, - and _ only.",
    )


def _amount(name: str, help: str, example: str, required: bool = True) -> FieldSpec:
    return FieldSpec(
        name, "decimal", required, help, example, ge=0, max_digits=18, decimal_places=2
    )


def _currency() -> FieldSpec:
    return FieldSpec(
        "currency",
        "str",
        True,
        "ISO 4217 currency code of the amounts (a program currency or one with an exchange rate)",
        "EUR",
        max_length=3,
        pattern=CURRENCY_PATTERN,
        iso="currency",
        pattern_help=CURRENCY_HELP,
    )


# -- checks --------------------------------------------------------------------------------


def _involvement_check(row: RowContext) -> Problems:
    v = row.values
    if v["validated_on"] is not None and not v["validated"]:
        return [("validated_on", "validated_on is given only for a validated involvement.")]
    return []


def _registration_check(row: RowContext) -> Problems:
    v = row.values
    if v["decided_on"] is not None and v["decided_on"] < v["registered_on"]:
        return [("decided_on", "decided_on cannot be before registered_on.")]
    return []


#: Deal registration fields only the vendor sets (with ``status``, beyond ``submitted``).
REGISTRATION_VENDOR_FIELDS = (
    "customer",
    "decided_on",
    "expires_on",
    "decided_by",
    "decision_reason",
    "opportunity",
)


@dataclass(frozen=True)
class RegistrationContext:
    """What the submission rules of a partner's registration need, read once per call:
    ``today`` in the program time zone, the vendor's ``product_lines`` and the ``currencies``
    convertible into the partner's program currency (``portal.selectors``, as the portal
    form reads them)."""

    today: date
    product_lines: frozenset[str]
    currencies: frozenset[str]


def registration_context(partner: Any, on: date | None = None) -> RegistrationContext:
    """The ``RegistrationContext`` of ``partner`` (a ``Partner``); ``on`` replaces today (in the
    program time zone). Three queries."""
    from partnerprogram.portal.selectors.context import portal_context
    from partnerprogram.portal.selectors.opportunities import (
        product_lines,
        registration_currencies,
    )

    ctx = portal_context(partner=partner, on=on)
    return RegistrationContext(
        today=ctx.on,
        product_lines=frozenset(product_lines()),
        currencies=frozenset(registration_currencies(currency=ctx.currency)),
    )


def _registration_scoped_check(row: RowContext) -> Problems:
    """A partner submits registrations (status ``submitted``, ``registered_on`` today) under
    the portal's rules (``sales.rules.deal_registration_problems``) and may correct them until
    the vendor decides; the decision fields are the vendor's (``vendor_only``)."""
    v = row.values
    given = row.given
    existing = row.existing
    if existing is not None and existing["status"] != "submitted":
        vendor = [
            name
            for name in ("status", *REGISTRATION_VENDOR_FIELDS)
            if name in row.provided and given[name] != existing[name]
        ]
        if vendor or any(v[name] != existing[name] for name in v):
            detail = (
                f" ({', '.join(vendor)} {'is' if len(vendor) == 1 else 'are'} the vendor's: "
                f"leave {'it' if len(vendor) == 1 else 'them'} out)"
                if vendor
                else ""
            )
            return [
                (
                    vendor[0] if vendor else "external_id",
                    f"The vendor has already decided this registration (status "
                    f"{existing['status']}): it can no longer be changed{detail}.",
                )
            ]
        return []
    # On update the stored status is kept (``scoped_frozen``), whatever the row says.
    if given.get("status") not in (None, "submitted"):
        return [
            (
                "status",
                "A partner submits a registration with status submitted: the vendor "
                "decides the rest.",
            )
        ]
    ctx: RegistrationContext = row.context
    problems: Problems = []
    if existing is None:
        if v["registered_on"] != ctx.today:
            problems.append(
                (
                    "registered_on",
                    f"registered_on is the day a registration is submitted: today "
                    f"({ctx.today.isoformat()} in the program time zone); leave it out.",
                )
            )
    elif v["registered_on"] != existing["registered_on"]:
        problems.append(
            (
                "registered_on",
                f"registered_on is the day the registration was submitted "
                f"({existing['registered_on'].isoformat()}): it cannot be changed.",
            )
        )
    # A new registration meets every rule; a correction, the rules of what it changes.
    changed = {n for n in v if existing is None or v[n] != existing[n]}
    found = deal_registration_problems(
        customer_name=v["customer_name"] if "customer_name" in changed else None,
        product_line=v["product_line"] if "product_line" in changed else None,
        estimated_amount=v["estimated_amount"] if "estimated_amount" in changed else None,
        currency=v["currency"] if "currency" in changed else None,
        expected_close=v["expected_close_on"] if "expected_close_on" in changed else None,
        on=ctx.today,
        product_lines=ctx.product_lines,
        currencies=ctx.currencies,
    )
    for name, reason in found:
        problems.append(("expected_close_on" if name == "expected_close" else name, reason))
    return problems


def _registrations_submitted(keys: list[str], actor: str) -> None:
    """One ``deal_registration.submitted`` audit event per registration a partner created
    (the portal's event and changes). One query per 900 keys plus the bulk insert."""
    for start in range(0, len(keys), 900):
        found = DealRegistration.objects.filter(external_id__in=keys[start : start + 900])
        audit_record_bulk(
            actor=actor,
            action="deal_registration.submitted",
            entries=[
                (
                    reg,
                    {
                        "status": (None, reg.status),
                        "customer_name": (None, reg.customer_name),
                        "product_line": (None, reg.product_line),
                        "estimated_amount": (None, reg.estimated_amount),
                        "currency": (None, reg.currency),
                        "expected_close": (None, reg.expected_close_on),
                    },
                )
                for reg in found.order_by("id")
            ],
        )


def _booking_check(row: RowContext) -> Problems:
    v = row.values
    problems: Problems = []
    if v["channel"] == "indirect" and v["transacting_partner"] is None:
        problems.append(
            ("transacting_partner", "An indirect booking needs its transacting_partner.")
        )
    if v["channel"] == "direct" and v["transacting_partner"] is not None:
        problems.append(
            (
                "channel",
                "A booking with a transacting_partner is indirect: set channel to "
                "indirect or leave transacting_partner empty.",
            )
        )
    if v["term_end"] is not None:
        if v["term_start"] is None:
            problems.append(("term_start", "term_start is required when term_end is given."))
        elif v["term_end"] <= v["term_start"]:
            problems.append(
                (
                    "term_end",
                    "term_end must be after term_start (it is the first day after the term).",
                )
            )
    return problems


def _cloud_usage_check(row: RowContext) -> Problems:
    month = row.values["month"]
    if month.day != 1:
        return [
            (
                "month",
                f"month must be the first day of a month ({month:%Y-%m}-01): usage is "
                "reported per calendar month.",
            )
        ]
    return []


# -- kinds ---------------------------------------------------------------------------------

CUSTOMERS = KindSpec(
    name="customers",
    model=Customer,
    label="customer",
    help="End customers of the vendor.",
    fields=(
        _external_id("CUS-88121"),
        FieldSpec("name", "str", True, "customer name", "Banque Exemple SA", max_length=255),
        FieldSpec(
            "country",
            "str",
            False,
            "ISO 3166-1 alpha-2 country code",
            "FR",
            max_length=2,
            pattern=COUNTRY_PATTERN,
            iso="country",
            pattern_help="country must be an ISO 3166-1 alpha-2 code: 2 upper-case letters "
            "such as FR.",
        ),
        FieldSpec(
            "segment",
            "choice",
            False,
            "size class (default smb)",
            "enterprise",
            choices=tuple(Customer.Segment.values),
        ),
    ),
)

OPPORTUNITIES = KindSpec(
    name="opportunities",
    model=Opportunity,
    label="opportunity",
    help="Deals in the vendor's pipeline (CRM). Partner roles on them are involvements.",
    fields=(
        _external_id("OPP-2026-0042"),
        _ref("customer", "customers", True, "external id of the customer", "CUS-88121"),
        FieldSpec("name", "str", True, "opportunity name", "OpenShift platform", max_length=255),
        _product_line(),
        _amount("amount", "expected amount (not negative, at most 2 decimals)", "120000.00"),
        _currency(),
        FieldSpec(
            "stage",
            "choice",
            True,
            "pipeline stage",
            "proposal",
            choices=tuple(Opportunity.Stage.values),
        ),
        FieldSpec("created_on", "date", True, "date created in the CRM", "2026-02-10"),
        FieldSpec("close_date", "date", False, "expected or actual close date", "2026-12-15"),
    ),
)

INVOLVEMENTS = KindSpec(
    name="involvements",
    model=PartnerInvolvement,
    label="involvement",
    help="A partner's role on an opportunity. No external id: the key is (opportunity, "
    "partner, role). Only validated involvements count in metrics.",
    key=("opportunity", "partner", "role"),
    check=_involvement_check,
    fields=(
        _ref(
            "opportunity", "opportunities", True, "external id of the opportunity", "OPP-2026-0042"
        ),
        _ref("partner", "partners", True, "external id of the partner", "P-00042"),
        FieldSpec(
            "role",
            "choice",
            True,
            "sourced (brought the deal), resell (transacts it) or influenced (shaped the choice)",
            "influenced",
            choices=tuple(PartnerInvolvement.Role.values),
        ),
        FieldSpec("validated", "bool", False, "validated by the vendor (default false)", "true"),
        FieldSpec("validated_on", "date", False, "date validated", "2026-03-15"),
        FieldSpec("decided_on", "date", False, "date the vendor decided", "2026-03-15"),
        FieldSpec(
            "decided_by", "str", False, "who decided (user:<name>)", "user:channel", max_length=150
        ),
        FieldSpec(
            "decision_reason",
            "str",
            False,
            "why (shown to the partner)",
            "Confirmed by the account team",
        ),
    ),
)

DEAL_REGISTRATIONS = KindSpec(
    name="deal_registrations",
    model=DealRegistration,
    label="deal registration",
    help="Deals a partner registers; the vendor approves or rejects them. A partner may "
    "write its own registrations: status submitted only, vendor fields empty, the portal's "
    "rules (registered today, a known product line, an amount above 0, a convertible "
    "currency, an expected close not in the past), no change once decided.",
    partner_writable=True,
    owner="partner",
    check=_registration_check,
    scoped_check=_registration_scoped_check,
    scoped_frozen=("status",),
    scoped_context=registration_context,
    scoped_defaults=lambda ctx: {"registered_on": ctx.today},
    scoped_created=_registrations_submitted,
    fields=(
        _external_id("DR-2026-00917"),
        _ref(
            "partner",
            "partners",
            True,
            "external id of the registering partner (a partner-scoped upload may omit it)",
            "P-00042",
        ),
        _ref(
            "customer",
            "customers",
            False,
            "external id of the customer, when known",
            "CUS-88121",
            vendor_only=True,
        ),
        FieldSpec(
            "customer_name",
            "str",
            True,
            "customer name as registered",
            "Banque Exemple",
            max_length=255,
        ),
        _product_line(),
        _amount(
            "estimated_amount", "estimated amount (not negative, at most 2 decimals)", "80000.00"
        ),
        _currency(),
        FieldSpec(
            "status",
            "choice",
            False,
            "status (default submitted; a partner may only send submitted)",
            "approved",
            choices=tuple(DealRegistration.Status.values),
        ),
        FieldSpec(
            "registered_on",
            "date",
            True,
            "submission date (a partner-scoped upload leaves it out: today in the program "
            "time zone)",
            "2026-04-02",
        ),
        FieldSpec(
            "expected_close_on", "date", False, "close date the partner expects", "2026-10-31"
        ),
        FieldSpec(
            "decided_on", "date", False, "date the vendor decided", "2026-04-06", vendor_only=True
        ),
        FieldSpec(
            "expires_on",
            "date",
            False,
            "first day the registration no longer protects the partner",
            "2026-10-06",
            vendor_only=True,
        ),
        FieldSpec(
            "decided_by",
            "str",
            False,
            "who decided (user:<name>)",
            "user:channel",
            max_length=150,
            vendor_only=True,
        ),
        FieldSpec(
            "decision_reason",
            "str",
            False,
            "why (shown to the partner)",
            "Customer confirmed",
            vendor_only=True,
        ),
        _ref(
            "opportunity",
            "opportunities",
            False,
            "external id of the matching opportunity",
            "OPP-2026-0042",
            vendor_only=True,
        ),
    ),
)

BOOKINGS = KindSpec(
    name="bookings",
    model=Booking,
    label="booking",
    help="Recognized revenue. channel is indirect exactly when a transacting_partner resold it.",
    check=_booking_check,
    fields=(
        _external_id("BK-2026-0001234"),
        FieldSpec("booked_on", "date", True, "booking date", "2026-06-30"),
        _amount("amount", "amount (not negative, at most 2 decimals; churn books 0)", "24000.00"),
        _currency(),
        _ref("customer", "customers", True, "external id of the customer", "CUS-88121"),
        _product_line(),
        FieldSpec(
            "channel",
            "choice",
            True,
            "direct or indirect (through a partner)",
            "indirect",
            choices=tuple(Booking.Channel.values),
        ),
        FieldSpec(
            "motion",
            "choice",
            False,
            "subscription motion (default new)",
            "renewal",
            choices=tuple(Booking.Motion.values),
        ),
        FieldSpec(
            "quantity",
            "decimal",
            False,
            "seats or users (not negative; default 0)",
            "50",
            ge=0,
            max_digits=14,
            decimal_places=2,
        ),
        FieldSpec("term_start", "date", False, "subscription term start (inclusive)", "2026-07-01"),
        FieldSpec("term_end", "date", False, "subscription term end (exclusive)", "2027-07-01"),
        _ref(
            "opportunity", "opportunities", False, "external id of the opportunity", "OPP-2026-0042"
        ),
        _ref(
            "transacting_partner",
            "partners",
            False,
            "external id of the reselling partner (indirect bookings only)",
            "P-00042",
        ),
        _ref(
            "influencing_partner",
            "partners",
            False,
            "external id of the partner that shaped the deal",
            "P-00077",
        ),
    ),
)

CLOUD_USAGE = KindSpec(
    name="cloud_usage",
    model=CloudUsage,
    label="cloud usage report",
    help="Monthly usage of a cloud service provider partner: one row per partner, month and "
    "product line.",
    unique=(("partner", "month", "product_line"),),
    check=_cloud_usage_check,
    fields=(
        _external_id("CU-P-00042-2026-09-rhel"),
        _ref("partner", "partners", True, "external id of the CCSP partner", "P-00042"),
        FieldSpec("month", "date", True, "the first day of the month reported", "2026-09-01"),
        _product_line(),
        FieldSpec(
            "quantity",
            "decimal",
            True,
            "usage (not negative, at most 4 decimals)",
            "1520.5",
            ge=0,
            max_digits=18,
            decimal_places=4,
        ),
        FieldSpec(
            "unit", "str", False, "unit of the quantity (default unit)", "vcpu-hour", max_length=32
        ),
        _amount("amount", "amount (not negative, at most 2 decimals)", "3040.00"),
        _currency(),
    ),
)

SALES_KINDS = (
    CUSTOMERS,
    OPPORTUNITIES,
    INVOLVEMENTS,
    DEAL_REGISTRATIONS,
    BOOKINGS,
    CLOUD_USAGE,
)
