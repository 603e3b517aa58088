"""What every portal page reads first: the acting partner, today, the language and the program
version in force.

Scope: a partner sees its own facts and those of the partners merged into it (their facts count
for it in every metric, ``Partner.merged_into``); :func:`owned` builds that condition for any
foreign key to ``Partner``. Every portal selector filters with it; nothing is ever read by
primary key alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from partnerprogram.partners.models import Partner
from partnerprogram.portal import formats
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.schema import Program
from partnerprogram.programs.selectors import program_definition
from partnerprogram.standings.models import Standing


def owned(partner: Partner, path: str = "partner") -> Q:
    """Rows whose ``path`` foreign key is the partner or a partner merged into it."""
    return Q(**{f"{path}_id": partner.pk}) | Q(**{f"{path}__merged_into_id": partner.pk})


@dataclass(frozen=True)
class InForce:
    """A stored version and its validated definition."""

    version: ProgramVersion
    program: Program


@dataclass
class PortalContext:
    """The acting partner, today (program time zone), the language (``en``/``fr``) and the
    published versions of its program (oldest first)."""

    partner: Partner
    on: date
    lang: str
    versions: list[ProgramVersion]
    _definitions: dict[int, Program] = field(default_factory=dict)

    def at(self, on: date) -> InForce | None:
        """The version in force on ``on`` (latest ``effective_from`` on or before it)."""
        found = [v for v in self.versions if v.effective_from <= on]
        if not found:
            return None
        version = found[-1]
        if version.pk not in self._definitions:
            self._definitions[version.pk] = program_definition(version)
        return InForce(version, self._definitions[version.pk])

    @property
    def current(self) -> InForce | None:
        """The version in force today."""
        return self.at(self.on)

    @property
    def program(self) -> Program | None:
        current = self.current
        return current.program if current else None

    @property
    def currency(self) -> str:
        program = self.program
        return program.currency if program else "EUR"


def published_versions() -> list[ProgramVersion]:
    """Every published program version, by program then ``effective_from`` (oldest first). The
    same for every partner: one query."""
    return list(
        ProgramVersion.objects.select_related("program")
        .filter(status=ProgramVersion.Status.PUBLISHED)
        .order_by("program__key", "effective_from", "loaded_at", "id")
    )


def _program_key(partner: Partner, keys: list[str]) -> str | None:
    if len(keys) <= 1:
        return keys[0] if keys else None
    latest = (
        Standing.objects.filter(partner_id=partner.pk)
        .order_by("-valid_from", "-id")
        .values_list("program_version__program__key", flat=True)
        .first()
    )
    return latest if latest in keys else keys[0]


def _versions_of(partner: Partner) -> list[ProgramVersion]:
    """The published versions of the partner's program (its latest standing's when several
    programs are loaded). One query (two when several programs are loaded)."""
    rows = published_versions()
    key = _program_key(partner, sorted({v.program.key for v in rows}))
    return [v for v in rows if v.program.key == key]


def _today(versions: list[ProgramVersion]) -> date:
    """Today in the time zone of the latest version (the server's without one)."""
    zone = versions[-1].definition.get("timezone") if versions else None
    return timezone.localdate(timezone=ZoneInfo(zone)) if zone else timezone.localdate()


def context_for(*, partner: Partner, on: date) -> PortalContext:
    """The context the portal builds for ``partner`` on ``on``, for a caller that already knows
    the partner and the date (the console's partner page shows the partner's overview with
    it). One query (two when several programs are loaded)."""
    return PortalContext(
        partner=partner, on=on, lang=formats.lang(), versions=_versions_of(partner)
    )


def portal_context(*, partner: Partner, on: date | None = None) -> PortalContext:
    """The context of a portal page for ``partner``; ``on`` defaults to today in the program's
    time zone. One query (two when several programs are loaded)."""
    versions = _versions_of(partner)
    return PortalContext(
        partner=partner,
        on=_today(versions) if on is None else on,
        lang=formats.lang(),
        versions=versions,
    )
