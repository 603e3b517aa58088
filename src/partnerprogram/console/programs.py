"""The program the console shows, with display names in the active language.

The console works on one program at a time: ``?program=KEY`` when several are loaded, else the
only one (or the first by key). Tier and track names come from the program version in force on
the date shown (its ``tiers[].name`` and ``tracks.*.name``, English and French).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import get_language

from partnerprogram.programs.models import Program as ProgramRecord
from partnerprogram.programs.models import ProgramVersion
from partnerprogram.programs.schema import Program
from partnerprogram.programs.selectors import program_definition


def lang() -> str:
    """``fr`` or ``en``: the active language as the program texts know it."""
    return "fr" if (get_language() or "en").startswith("fr") else "en"


_CACHE: dict[tuple[int, str], Program] = {}
_CACHE_MAX = 256


def definition_of(version: ProgramVersion) -> Program:
    """The validated definition of a stored version, validated once per process and version
    content (``pk``, ``sha256``): published versions never change, and a changed draft has a
    new digest. No query (the caller fetched the version)."""
    key = (version.pk, version.sha256)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        found = _CACHE[key] = program_definition(version)
    return found


@dataclass(frozen=True)
class ProgramView:
    """One program as of ``on``: its version in force (else its first version), the validated
    definition and display names."""

    key: str
    version: ProgramVersion
    definition: Program
    on: date
    others: tuple[str, ...] = ()

    @property
    def currency(self) -> str:
        return self.definition.currency

    @property
    def name(self) -> str:
        return self.definition.display_name(lang())

    @property
    def tier_keys_desc(self) -> tuple[str, ...]:
        """Tier keys, highest first."""
        return tuple(reversed(self.definition.tier_keys))

    def tier_rank(self, tier: str | None) -> int:
        """0 for the lowest tier...; -1 for no tier or an unknown one."""
        if not tier or tier not in self.definition.tier_keys:
            return -1
        return self.definition.tier_rank(tier)

    @property
    def tier_labels(self) -> dict[str, str]:
        """``{tier key: name}`` in the active language, highest first."""
        language = lang()
        return {k: self.definition.tier_name(k, language) for k in self.tier_keys_desc}

    @property
    def track_labels(self) -> dict[str, str]:
        """``{track key: name}`` in the active language, in the program's order."""
        language = lang()
        return {k: self.definition.track_name(k, language) for k in self.definition.track_keys}

    def tier_label(self, tier: str | None) -> str:
        if not tier:
            return ""
        return self.tier_labels.get(tier, tier)

    def track_label(self, track: str) -> str:
        return self.track_labels.get(track, track)


def program_view(*, on: date, program: str | None = None) -> ProgramView | None:
    """The program named ``program`` (ignored when unknown), else the only or first loaded
    program by key, with its published version in force on ``on`` (the earliest one before the
    program starts); ``None`` when no program is loaded. Two queries."""
    keys = tuple(ProgramRecord.objects.order_by("key").values_list("key", flat=True))
    if not keys:
        return None
    key = program if program in keys else keys[0]
    versions = ProgramVersion.objects.select_related("program").filter(
        program__key=key, status=ProgramVersion.Status.PUBLISHED
    )
    version = (
        versions.filter(effective_from__lte=on).order_by("-effective_from", "-loaded_at").first()
        or versions.order_by("effective_from", "loaded_at").first()
    )
    if version is None:
        return None
    return ProgramView(
        key=key,
        version=version,
        definition=definition_of(version),
        on=on,
        others=tuple(k for k in keys if k != key),
    )
