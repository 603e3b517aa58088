"""Option parsing shared by the lifecycle commands (not a command: the name starts with ``_``)."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError
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


def user_option(value: str | None) -> str:
    """The acting user: ``--by``/``--actor`` or the operating-system user."""
    if value:
        return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
