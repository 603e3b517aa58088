"""The metric catalog: what each metric a program may name means (pure metadata, no Django).

This module is the single source of truth for metric names, units, window rules, allowed
filters (``where`` keys and, when closed, their values), definitions (en/fr), the facts each
metric reads, and the noun phrases used in gap sentences. ``programs.schema`` validates programs
against it, ``programs.rules`` words explanations with it and ``programs.metrics`` implements one
aggregate query per entry.

Filter values are compared as strings: booleans are written ``true``/``false``.
Fractions are plain decimals (0.70 = 70 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "CATALOG",
    "COUNT_UNITS",
    "FilterSpec",
    "MetricSpec",
    "Unit",
    "WindowRule",
    "catalog_markdown",
    "get_metric",
    "is_money",
    "metric_names",
]

Unit = Literal[
    "people", "credentials", "deals", "money", "fraction", "customers", "users", "attestations"
]
WindowRule = Literal["required", "optional", "forbidden"]

#: Units that count whole things (a shortfall of 1.2 people is 2 people).
COUNT_UNITS: frozenset[str] = frozenset(
    {"people", "credentials", "deals", "customers", "users", "attestations"}
)


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """One allowed ``where`` key of a metric.

    ``values`` is the closed set of allowed values, or ``None`` when open (any slug, e.g. a
    certification family or a product line). ``default`` is the value the metric query uses when
    the key is absent (documentation; the key is not added to the metric reference).
    ``required``: the program must give the key (the metric is ambiguous without it).
    """

    key: str
    description: str
    values: tuple[str, ...] | None = None
    default: str | None = None
    required: bool = False


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """Metadata of one catalog metric.

    - ``unit``: what the value counts; ``money`` values are in the program currency.
    - ``window``: ``required`` (the program must give one), ``optional`` (point in time when
      absent) or ``forbidden`` (always point in time).
    - ``filters``: allowed ``where`` keys.
    - ``definition``: one sentence per language (``en``, ``fr``).
    - ``facts``: the fact tables and fields the metric reads (English sentence).
    - ``noun``: noun phrase for gap sentences, per language, ``(singular, plural)``;
      for money and fractions the plural form is used.
    """

    name: str
    unit: Unit
    window: WindowRule
    filters: Mapping[str, FilterSpec]
    definition: Mapping[str, str]
    facts: str
    noun: Mapping[str, tuple[str, str]]
    reads: tuple[str, ...] = field(default=())

    @property
    def is_money(self) -> bool:
        """True when values are amounts in the program currency."""
        return self.unit == "money"

    @property
    def is_count(self) -> bool:
        """True when values count whole things (people, deals, …)."""
        return self.unit in COUNT_UNITS

    def noun_for(self, amount: Decimal | None, lang: str) -> str:
        """The noun phrase in ``lang`` (``en`` or ``fr``), singular when ``amount == 1``."""
        one, many = self.noun.get(lang) or self.noun["en"]
        return one if amount is not None and amount == 1 and self.is_count else many


_STATUS = ("submitted", "approved", "rejected", "expired", "won", "lost")
_ROLE = ("resell", "influenced", "sourced")
_MOTION = ("new", "upsell", "renewal", "downsell", "churn")
_BASIS = ("active_in_window", "acquired_in_window")
_SEGMENT = ("enterprise", "smb", "public")
_STAGE = ("prospecting", "qualification", "proposal", "negotiation", "won", "lost")
_BOOL = ("true", "false")


def _f(
    key: str,
    description: str,
    values: tuple[str, ...] | None = None,
    *,
    default: str | None = None,
    required: bool = False,
) -> FilterSpec:
    return FilterSpec(
        key=key, description=description, values=values, default=default, required=required
    )


_FAMILY = _f("family", "certification family (e.g. rhel, openshift)")
_LEVEL = _f("level", "certification level (e.g. foundational, associate, professional)")
_CERT = _f("certification", "certification code")
_PRODUCT = _f("product_line", "product line slug")
_MOTION_F = _f("motion", "subscription motion", _MOTION)
_SEGMENT_F = _f("customer_segment", "customer segment by size", _SEGMENT)


def _filters(*specs: FilterSpec) -> Mapping[str, FilterSpec]:
    return {s.key: s for s in specs}


_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="certified_people",
        unit="people",
        window="forbidden",
        filters=_filters(_FAMILY, _LEVEL, _CERT),
        definition={
            "en": "Distinct people employed by the partner on the as-of date who hold at least one "
            "credential in scope valid on that date.",
            "fr": "Personnes distinctes employées par le partenaire à la date d'évaluation et "
            "titulaires d'au moins une certification du périmètre valide à cette date.",
        },
        facts="Person employed on D (employed_from <= D, employed_until empty or > D) with >= 1 "
        "Credential valid on D (earned_on <= D < expires_on, or no expiry); each person "
        "counts once",
        noun={
            "en": ("certified person", "certified people"),
            "fr": ("personne certifiée", "personnes certifiées"),
        },
        reads=("partners.Person", "enablement.Credential", "enablement.Certification"),
    ),
    MetricSpec(
        name="credentials",
        unit="credentials",
        window="forbidden",
        filters=_filters(_FAMILY, _LEVEL, _CERT),
        definition={
            "en": "Credentials in scope valid on the as-of date held by people employed by the "
            "partner on that date.",
            "fr": "Certifications du périmètre valides à la date d'évaluation détenues par des "
            "personnes employées par le partenaire à cette date.",
        },
        facts="Credential valid on D (earned_on <= D < expires_on, or no expiry) whose Person is "
        "employed by the partner on D",
        noun={"en": ("credential", "credentials"), "fr": ("certification", "certifications")},
        reads=("partners.Person", "enablement.Credential", "enablement.Certification"),
    ),
    MetricSpec(
        name="registered_opportunities",
        unit="deals",
        window="required",
        filters=_filters(_f("status", "deal registration status", _STATUS), _PRODUCT),
        definition={
            "en": "Deal registrations submitted by the partner in the window.",
            "fr": "Enregistrements d'affaires soumis par le partenaire sur la période.",
        },
        facts="DealRegistration of the partner with registered_on in the window (count)",
        noun={
            "en": ("registered opportunity", "registered opportunities"),
            "fr": ("opportunité enregistrée", "opportunités enregistrées"),
        },
        reads=("sales.DealRegistration",),
    ),
    MetricSpec(
        name="registered_amount",
        unit="money",
        window="required",
        filters=_filters(_f("status", "deal registration status", _STATUS), _PRODUCT),
        definition={
            "en": "Sum of the estimated amounts of the partner's deal registrations submitted in "
            "the window, in the program currency.",
            "fr": "Somme des montants estimés des enregistrements d'affaires soumis sur la "
            "période, dans la devise du programme.",
        },
        facts="DealRegistration.estimated_amount with registered_on in the window, converted at "
        "the ExchangeRate in force on D",
        noun={
            "en": ("registered amount", "registered amount"),
            "fr": ("montant enregistré", "montant enregistré"),
        },
        reads=("sales.DealRegistration", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="resale_bookings",
        unit="money",
        window="required",
        filters=_filters(_PRODUCT, _MOTION_F, _SEGMENT_F),
        definition={
            "en": "Bookings transacted (resold) by the partner in the window, in the program "
            "currency.",
            "fr": "Prises de commande revendues par le partenaire sur la période, dans la devise "
            "du programme.",
        },
        facts="Booking.amount where transacting_partner = P and booked_on in the window, "
        "converted at the ExchangeRate in force on D",
        noun={
            "en": ("resale bookings", "resale bookings"),
            "fr": ("prises de commande revendues", "prises de commande revendues"),
        },
        reads=("sales.Booking", "sales.Customer", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="influenced_bookings",
        unit="money",
        window="required",
        filters=_filters(_PRODUCT, _MOTION_F, _SEGMENT_F),
        definition={
            "en": "Bookings the partner influenced in the window, in the program currency.",
            "fr": "Prises de commande influencées par le partenaire sur la période, dans la "
            "devise du programme.",
        },
        facts="Booking.amount where influencing_partner = P and booked_on in the window, "
        "converted at the ExchangeRate in force on D",
        noun={
            "en": ("influenced bookings", "influenced bookings"),
            "fr": ("prises de commande influencées", "prises de commande influencées"),
        },
        reads=("sales.Booking", "sales.Customer", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="sourced_bookings",
        unit="money",
        window="required",
        filters=_filters(_PRODUCT, _MOTION_F, _SEGMENT_F),
        definition={
            "en": "Bookings in the window whose opportunity the partner brought in (validated "
            "sourced involvement), in the program currency.",
            "fr": "Prises de commande de la période dont l'opportunité a été apportée par le "
            "partenaire (implication « apportée » validée), dans la devise du programme.",
        },
        facts="Booking.amount with booked_on in the window whose opportunity has a validated "
        "PartnerInvolvement(role=sourced) of P",
        noun={
            "en": ("sourced bookings", "sourced bookings"),
            "fr": ("prises de commande apportées", "prises de commande apportées"),
        },
        reads=("sales.Booking", "sales.PartnerInvolvement", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="bookings_growth",
        unit="fraction",
        window="required",
        filters=_filters(
            _f("role", "partner's role on the bookings", _ROLE, default="resell"), _PRODUCT
        ),
        definition={
            "en": "Growth of the partner's bookings: window sum divided by the same window a year "
            "earlier, minus 1; undefined without a baseline.",
            "fr": "Croissance des prises de commande du partenaire : somme de la période divisée "
            "par la même période un an plus tôt, moins 1 ; indéfinie sans référence.",
        },
        facts="Booking.amount for the role (transacting, influencing or sourced) in the window "
        "and in the previous-year window; None if the baseline is 0",
        noun={
            "en": ("bookings growth", "bookings growth"),
            "fr": ("croissance des prises de commande", "croissance des prises de commande"),
        },
        reads=("sales.Booking", "sales.PartnerInvolvement", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="influenced_opportunities",
        unit="deals",
        window="required",
        filters=_filters(
            _f("stage", "opportunity stage", _STAGE),
            _PRODUCT,
            _f("validated", "involvement validated by the vendor", _BOOL, default="true"),
        ),
        definition={
            "en": "Opportunities the partner influenced, created or closed in the window.",
            "fr": "Opportunités influencées par le partenaire, créées ou clôturées sur la période.",
        },
        facts="Opportunity with a PartnerInvolvement(role=influenced) of P (validated by "
        "default), close_date (or created_on when open) in the window",
        noun={
            "en": ("influenced opportunity", "influenced opportunities"),
            "fr": ("opportunité influencée", "opportunités influencées"),
        },
        reads=("sales.Opportunity", "sales.PartnerInvolvement"),
    ),
    MetricSpec(
        name="new_customers",
        unit="customers",
        window="required",
        filters=_filters(_SEGMENT_F, _PRODUCT),
        definition={
            "en": "Distinct customers whose first booking transacted by the partner falls in the "
            "window.",
            "fr": "Clients distincts dont la première prise de commande revendue par le "
            "partenaire tombe dans la période.",
        },
        facts="Customer whose earliest Booking with transacting_partner = P has booked_on in "
        "the window",
        noun={
            "en": ("new customer", "new customers"),
            "fr": ("nouveau client", "nouveaux clients"),
        },
        reads=("sales.Booking", "sales.Customer"),
    ),
    MetricSpec(
        name="net_new_users",
        unit="users",
        window="required",
        filters=_filters(_PRODUCT),
        definition={
            "en": "Net users sold by the partner in the window: new and upsell add, downsell and "
            "churn subtract, renewals count zero.",
            "fr": "Utilisateurs nets vendus par le partenaire sur la période : nouveaux et "
            "extensions ajoutent, réductions et résiliations retranchent, renouvellements "
            "nuls.",
        },
        facts="sum of Booking.quantity (transacting_partner = P, booked_on in window) signed by "
        "motion: new, upsell +; downsell, churn -; renewal 0 (Odoo)",
        noun={
            "en": ("net new user", "net new users"),
            "fr": ("nouvel utilisateur net", "nouveaux utilisateurs nets"),
        },
        reads=("sales.Booking",),
    ),
    MetricSpec(
        name="customer_retention",
        unit="fraction",
        window="required",
        filters=_filters(
            _f(
                "basis",
                "retention definition (Odoo v9a: active_in_window, v11: acquired_in_window)",
                _BASIS,
                required=True,
            ),
            _PRODUCT,
        ),
        definition={
            "en": "Share of the partner's customers still active on the as-of date, among those "
            "active in the window (active_in_window) or acquired in it "
            "(acquired_in_window); undefined without customers.",
            "fr": "Part des clients du partenaire encore actifs à la date d'évaluation, parmi "
            "ceux actifs sur la période (active_in_window) ou acquis sur la période "
            "(acquired_in_window) ; indéfinie sans client.",
        },
        facts="Booking term_start/term_end of customers transacted by P; active on D iff "
        "term_start <= D < term_end; None on zero denominator",
        noun={
            "en": ("customer retention", "customer retention"),
            "fr": ("rétention client", "rétention client"),
        },
        reads=("sales.Booking", "sales.Customer"),
    ),
    MetricSpec(
        name="cloud_usage",
        unit="money",
        window="required",
        filters=_filters(_PRODUCT),
        definition={
            "en": "Cloud usage reported by the partner (CCSP) for the months in the window, in "
            "the program currency.",
            "fr": "Consommation cloud déclarée par le partenaire (CCSP) pour les mois de la "
            "période, dans la devise du programme.",
        },
        facts="CloudUsage.amount of P with month in the window, converted at the ExchangeRate "
        "in force on D",
        noun={
            "en": ("cloud usage", "cloud usage"),
            "fr": ("consommation cloud", "consommation cloud"),
        },
        reads=("sales.CloudUsage", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="cloud_usage_growth",
        unit="fraction",
        window="required",
        filters=_filters(_PRODUCT),
        definition={
            "en": "Year-over-year growth of the partner's cloud usage: window sum divided by the "
            "same window a year earlier, minus 1; undefined without a baseline.",
            "fr": "Croissance annuelle de la consommation cloud du partenaire : somme de la "
            "période divisée par la même période un an plus tôt, moins 1 ; indéfinie sans "
            "référence.",
        },
        facts="CloudUsage.amount of P in the window and in the previous-year window; None if "
        "the baseline is 0",
        noun={
            "en": ("cloud usage growth", "cloud usage growth"),
            "fr": ("croissance de la consommation cloud", "croissance de la consommation cloud"),
        },
        reads=("sales.CloudUsage", "core.ExchangeRate"),
    ),
    MetricSpec(
        name="attestations",
        unit="attestations",
        window="optional",
        filters=_filters(
            _f("kind", "attestation kind (e.g. business_plan, executive_review)"),
            _f("category", "attestation category"),
        ),
        definition={
            "en": "Attestations of the partner valid on the as-of date (with a window: attested "
            "in the window).",
            "fr": "Attestations du partenaire valides à la date d'évaluation (avec une période : "
            "attestées sur la période).",
        },
        facts="Attestation of P valid on D (attested_on <= D < valid_until, or no end); with a "
        "window: attested_on in the window",
        noun={"en": ("attestation", "attestations"), "fr": ("attestation", "attestations")},
        reads=("partners.Attestation",),
    ),
)

#: Catalog metrics by name, in documentation order.
CATALOG: Mapping[str, MetricSpec] = {spec.name: spec for spec in _SPECS}


def metric_names() -> tuple[str, ...]:
    """All metric names, in catalog order."""
    return tuple(CATALOG)


def get_metric(name: str) -> MetricSpec:
    """The spec of ``name``; raises ``KeyError`` naming the known metrics when unknown."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(CATALOG)}") from None


def is_money(name: str) -> bool:
    """True when metric ``name`` is an amount in the program currency (``KeyError`` if unknown)."""
    return get_metric(name).is_money


def catalog_markdown() -> str:
    """The catalog as a Markdown table (embedded in ``docs/program-language.md``; a test keeps
    the two identical)."""
    lines = [
        "| metric | unit | window | filters (`where`) | definition | facts read |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for spec in CATALOG.values():
        filters = []
        for filt in spec.filters.values():
            text = f"`{filt.key}`"
            if filt.values:
                text += " (" + " / ".join(filt.values) + ")"
            if filt.default:
                text += f", default `{filt.default}`"
            if filt.required:
                text += ", **required**"
            filters.append(text)
        lines.append(
            f"| `{spec.name}` | {spec.unit} | {spec.window} | {'; '.join(filters) or '—'} "
            f"| {spec.definition['en']} | {spec.facts} |"
        )
    return "\n".join(lines) + "\n"
