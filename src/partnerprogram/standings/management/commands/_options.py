"""Option parsing shared by the lifecycle commands (not a command: the name starts with ``_``)."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from partnerprogram.programs.selectors import ProgramVersionNotFound
from partnerprogram.standings.errors import StandingsError
from partnerprogram.standings.services.common import program_key_resolve, program_zone

T = TypeVar("T")


@contextmanager
def refused() -> Iterator[None]:
    """Turn the services' refusals into ``CommandError`` (exit code 2)."""
    try:
        yield
    except (StandingsError, ProgramVersionNotFound) as exc:
        raise CommandError(str(exc), returncode=2) from exc


def run(call: Callable[[], T]) -> T:
    """Call a service; its refusals become exit code 2. (Notices' emails go to stderr with the
    default console backend, ``core.mail.ConsoleBackend``, so ``--format json`` stays
    parseable on stdout.)"""
    with refused():
        return call()


def program_option(value: str | None) -> str:
    with refused():
        return program_key_resolve(value)


def zone_of(program: str) -> ZoneInfo:
    with refused():
        return program_zone(program)


def parse_instant(text: str | None, *, zone: ZoneInfo, option: str = "--at") -> datetime:
    """An ISO date-time (``2026-12-31T23:59:59+01:00``; without an offset it is read in the
    program zone; a plain date is the start of that day there); default: now."""
    if not text:
        return timezone.now()
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"{option} {text!r}: not a date-time, expected e.g. 2026-12-31T23:59:59+01:00",
            returncode=2,
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def parse_day(text: str | None, *, zone: ZoneInfo, option: str = "--on") -> date:
    """An ISO date; default: today in the program zone."""
    if not text:
        return timezone.now().astimezone(zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"{option} {text!r}: not a date, expected YYYY-MM-DD", returncode=2
        ) from exc


#: how far in the future an instant may be and still count as now (clock skew, typing)
FUTURE_TOLERANCE = timedelta(seconds=10)

SIMULATE_HELP = (
    "act as if it were --at/--on/--from even when it is in the future (or, for --from, the "
    "past): for scenarios, demos and tests on a throw-away database"
)


def add_simulate(parser: CommandParser) -> None:
    """``--simulate``: lets a command that writes act at another moment than now."""
    parser.add_argument("--simulate", action="store_true", help=SIMULATE_HELP)


def _simulate_hint(option: str) -> str:
    return (
        f"give --simulate to act as if it were {option} (for scenarios, demos and tests on a "
        "throw-away database)"
    )


def instant_not_future(at: datetime, *, simulate: bool, what: str, option: str = "--at") -> None:
    """Refuse (exit code 2) an instant later than now (``FUTURE_TOLERANCE`` allowed) for a
    command that writes, unless ``--simulate``: acting in the future would, e.g., settle a
    cycle before its deadline and then refuse the real claims."""
    if simulate:
        return
    now = timezone.now()
    if at > now + FUTURE_TOLERANCE:
        zone = at.tzinfo
        raise CommandError(
            f"{what} refused: {option} {at.isoformat()} is later than now "
            f"({now.astimezone(zone).isoformat(timespec='seconds')}); a command that writes "
            f"acts now or in the past, not in the future; {_simulate_hint(option)}",
            returncode=2,
        )


def day_not_future(
    day: date, *, zone: ZoneInfo, simulate: bool, what: str, option: str = "--on"
) -> None:
    """Refuse (exit code 2) a date after today in the program zone, unless ``--simulate``."""
    today = timezone.now().astimezone(zone).date()
    if not simulate and day > today:
        raise CommandError(
            f"{what} refused: {option} {day} is after today ({today}, {zone.key}); a command "
            f"that writes acts on today or a past date, not in the future; "
            f"{_simulate_hint(option)}",
            returncode=2,
        )


def day_not_past(
    day: date, *, zone: ZoneInfo, simulate: bool, what: str, option: str = "--from"
) -> None:
    """Refuse (exit code 2) a date before today in the program zone, unless ``--simulate``:
    no rewriting of history."""
    today = timezone.now().astimezone(zone).date()
    if not simulate and day < today:
        raise CommandError(
            f"{what} refused: {option} {day} is before today ({today}, {zone.key}); the past "
            f"is not rewritten; {_simulate_hint(option)}",
            returncode=2,
        )


def user_option(value: str | None) -> str:
    """The acting user: ``--by``/``--actor`` or the operating-system user."""
    if value:
        return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
