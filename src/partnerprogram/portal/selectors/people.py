"""The partner's people and their certifications, and the people metrics for one partner.

The engine counts ``certified_people`` and ``credentials`` for the whole population in one query
(``programs.metrics``); the portal needs them for one partner on two dates (today and the claim
deadline), so :func:`people_metric` applies the same stated rules to the partner's own rows:

- a person counts on D while employed by the partner on D (``employed_from <= D <
  employed_until``);
- a credential counts on D when ``earned_on <= D < expires_on`` (one expiring on D does not);
- a person is a human identified by e-mail (case-insensitive): credentials recorded under
  another employment of the same human count, but nothing else of that employment is read;
- ``certified_people`` counts distinct humans, ``credentials`` distinct credentials, with the
  ``family`` / ``level`` / ``certification`` filters of the metric reference.

A test checks these values against ``programs.metrics.compute_metric``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.db.models.functions import Lower

from partnerprogram.enablement.models import Credential
from partnerprogram.partners.models import Person
from partnerprogram.portal import presenters
from partnerprogram.portal.selectors.context import PortalContext, owned
from partnerprogram.programs.schema import (
    Comparison,
    Component,
    MetricRef,
    Program,
    Score,
    iter_nodes,
)

PEOPLE_METRICS = frozenset({"certified_people", "credentials"})
_CERT_FIELDS = {"family": "family", "level": "level", "certification": "code"}


@dataclass(frozen=True)
class Team:
    """The partner's person rows employed at some point in ``[start, end]`` and the credentials
    of those humans (``credential.mail`` is the lower-cased e-mail of the human)."""

    people: list[Person]
    credentials: Sequence[Credential]

    def employed_on(self, on: date) -> list[Person]:
        return [
            p
            for p in self.people
            if p.employed_from <= on and (p.employed_until is None or on < p.employed_until)
        ]


def team_of(ctx: PortalContext, *, start: date, end: date) -> Team:
    """Person rows of the partner (and partners merged into it) employed at some point between
    ``start`` and ``end`` (inclusive), and every credential of those humans. Two queries."""
    employed = Person.objects.filter(owned(ctx.partner), employed_from__lte=end).filter(
        Q(employed_until__isnull=True) | Q(employed_until__gt=start)
    )
    people = list(employed.order_by("last_name", "first_name", "id"))
    mails = employed.annotate(mail=Lower("email")).values("mail")
    credentials = list(
        Credential.objects.annotate(mail=Lower("person__email"))
        .filter(mail__in=mails)
        .select_related("certification")
        .order_by("expires_on", "certification__code", "id")
    )
    return Team(people=people, credentials=credentials)


def valid_on(credential: Credential, on: date) -> bool:
    return credential.earned_on <= on and (
        credential.expires_on is None or on < credential.expires_on
    )


def in_scope(credential: Credential, where: Mapping[str, tuple[str, ...]]) -> bool:
    """True when the credential's certification matches every filter of a people metric."""
    cert = credential.certification
    return all(getattr(cert, _CERT_FIELDS[key]) in values for key, values in where.items())


def people_metric(team: Team, ref: MetricRef, on: date) -> Decimal:
    """``certified_people`` or ``credentials`` of ``ref`` for the partner on ``on``."""
    employed = {p.email.lower() for p in team.employed_on(on)}
    where = ref.where_dict()
    held = [
        c
        for c in team.credentials
        if c.mail in employed and valid_on(c, on) and in_scope(c, where)  # type: ignore[attr-defined]
    ]
    if ref.metric == "certified_people":
        return Decimal(len({c.mail for c in held}))  # type: ignore[attr-defined]
    return Decimal(len({c.pk for c in held}))


@dataclass
class PeopleRequirement:
    """A people metric reference the program reads, with where it is used."""

    ref: MetricRef
    label: str
    uses: list[str] = field(default_factory=list)  # "Solution provider: Advanced, Premier"
    today: Decimal = Decimal(0)
    at_deadline: Decimal | None = None


def people_requirements(
    program: Program, tracks: Iterable[str], lang: str
) -> list[PeopleRequirement]:
    """Every ``certified_people`` / ``credentials`` reference of the tiers of ``tracks``, with
    its label and the tracks and tiers that use it, in program order."""
    found: dict[str, PeopleRequirement] = {}
    uses: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for track in tracks:
        if track not in program.tracks:
            continue
        for tier in program.tier_keys:
            root = program.requirement(track, tier)
            if root is None:
                continue
            for node in iter_nodes(root):
                parts: list[Comparison | Component] = []
                if isinstance(node, Comparison):
                    parts = [node]
                elif isinstance(node, Score):
                    parts = list(node.score)
                for part in parts:
                    if part.metric not in PEOPLE_METRICS:
                        continue
                    ref = part.ref
                    if ref.key not in found:
                        label = (
                            part.label.get(lang)
                            if part.label is not None
                            else presenters.metric_noun(ref.metric, lang)
                        )
                        context = presenters.context_text(ref.where_dict(), None, lang)
                        found[ref.key] = PeopleRequirement(
                            ref=ref, label=f"{label} ({context})" if context else label
                        )
                    tiers = uses[ref.key].setdefault(
                        presenters.track_name(program, track, lang), []
                    )
                    name = presenters.tier_name(program, tier, lang)
                    if name not in tiers:
                        tiers.append(name)
    for key, requirement in found.items():
        requirement.uses = [f"{t}: {', '.join(tiers)}" for t, tiers in uses[key].items()]
    return list(found.values())


@dataclass(frozen=True)
class CredentialRow:
    code: str
    name: str
    family: str
    level: str
    earned_on: date
    expires_on: date | None
    expires_before_deadline: bool


@dataclass(frozen=True)
class PersonRow:
    name: str
    email: str
    job_role: str
    employed_from: date
    credentials: list[CredentialRow]
    counts_for: list[str]  # labels of the people requirements the person counts for today
    at_risk: bool  # counts today for a requirement but not at the deadline


@dataclass(frozen=True)
class PeoplePage:
    people: list[PersonRow]
    requirements: list[PeopleRequirement]
    deadline: date | None
    expiring: int  # credentials valid today that expire on or before the deadline


def next_deadline(ctx: PortalContext, tracks: Iterable[str]) -> date | None:
    """The nearest claim deadline on or after today among the cycles of ``tracks``."""
    current = ctx.current
    if current is None:
        return None
    deadlines = []
    for track in tracks:
        if track not in current.program.tracks:
            continue
        cycle = current.program.cycle_for(track)
        if cycle is not None and cycle.claim_deadline >= ctx.on:
            deadlines.append(cycle.claim_deadline)
    return min(deadlines) if deadlines else None


def people_page(ctx: PortalContext, *, tracks: list[str]) -> PeoplePage:
    """The team employed today, each person's valid credentials (flagged when they expire on or
    before the next claim deadline: they no longer count on it) and the people requirements each
    person counts for today. Three queries (team, credentials; the enrolments are given)."""
    on = ctx.on
    deadline = next_deadline(ctx, tracks)
    team = team_of(ctx, start=on, end=deadline or on)
    program = ctx.program
    requirements = people_requirements(program, tracks, ctx.lang) if program else []
    for requirement in requirements:
        requirement.today = people_metric(team, requirement.ref, on)
        if deadline is not None:
            requirement.at_deadline = people_metric(team, requirement.ref, deadline)
    by_mail: dict[str, list[Credential]] = defaultdict(list)
    for credential in team.credentials:
        if valid_on(credential, on):
            by_mail[credential.mail].append(credential)  # type: ignore[attr-defined]
    rows: list[PersonRow] = []
    expiring = 0
    employed_at_deadline = (
        {p.email.lower() for p in team.employed_on(deadline)} if deadline else set()
    )
    for person in team.employed_on(on):
        mail = person.email.lower()
        held = by_mail.get(mail, [])
        credentials = []
        for c in held:
            soon = deadline is not None and c.expires_on is not None and c.expires_on <= deadline
            expiring += soon
            credentials.append(
                CredentialRow(
                    code=c.certification.code,
                    name=c.certification.name,
                    family=c.certification.family,
                    level=c.certification.level,
                    earned_on=c.earned_on,
                    expires_on=c.expires_on,
                    expires_before_deadline=soon,
                )
            )
        counts_for = []
        at_risk = False
        for requirement in requirements:
            where = requirement.ref.where_dict()
            if any(in_scope(c, where) for c in held):
                counts_for.append(requirement.label)
                if deadline is not None and not (
                    mail in employed_at_deadline
                    and any(valid_on(c, deadline) and in_scope(c, where) for c in held)
                ):
                    at_risk = True
        rows.append(
            PersonRow(
                name=f"{person.first_name} {person.last_name}".strip() or person.email,
                email=person.email,
                job_role=str(presenters.JOB_ROLE_LABELS.get(person.job_role, person.job_role)),
                employed_from=person.employed_from,
                credentials=credentials,
                counts_for=counts_for,
                at_risk=at_risk,
            )
        )
    return PeoplePage(people=rows, requirements=requirements, deadline=deadline, expiring=expiring)
