"""Errors of the lifecycle services: each names the object and the reason. Commands turn them
into exit code 2 and nothing is written (every service runs in one transaction)."""

from __future__ import annotations


class StandingsError(ValueError):
    """Base class: a refused lifecycle operation."""


class PartnerNotFound(StandingsError):
    """No partner with that external id."""


class ClaimError(StandingsError):
    """A claim that cannot be filed (before claims open, after the deadline, unknown tier or
    track, track not in effect, partner not enrolled, cycle settled...)."""


class OverrideError(StandingsError):
    """An override without reason, approver or end, or on an unknown tier or track."""


class SettlementError(StandingsError):
    """A settlement that cannot run (before the deadline, no cycle due)."""
