"""``partnerprogram token create --vendor|--partner EXT [--name N] [--expires-in-days D]
[--format text|json]``, ``partnerprogram token list [--format text|json]``,
``partnerprogram token revoke PREFIX``.

``create`` prints the token once (JSON: ``{"token", "prefix", "scope", "expires_at", ...}``);
only its sha256 is stored. Bad input exits 2 with the reason, nothing written.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerprogram.api.models import ApiToken
from partnerprogram.api.services import (
    DEFAULT_DAYS,
    TokenError,
    api_token_create,
    api_token_revoke,
    api_tokens_list,
)
from partnerprogram.core.cli_output import to_json, to_table
from partnerprogram.partners.models import Partner


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # pragma: no cover - no user name in the environment
        return "cli"


def token_json(record: ApiToken) -> dict[str, Any]:
    """A token's public fields (never its secret)."""
    return {
        "prefix": record.prefix,
        "name": record.name,
        "scope": record.scope,
        "partner": record.partner.external_id if record.partner is not None else None,
        "created_by": record.created_by,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "revoked_at": record.revoked_at,
        "last_used_at": record.last_used_at,
        "active": record.is_active(),
    }


class Command(BaseCommand):
    help = "Create, list and revoke API tokens (Authorization: Bearer TOKEN)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        scope = create.add_mutually_exclusive_group(required=True)
        scope.add_argument("--vendor", action="store_true", help="a vendor token (all partners)")
        scope.add_argument("--partner", help="partner external id (only its own data)")
        create.add_argument("--name", default="", help="what it is for")
        create.add_argument(
            "--expires-in-days", type=int, default=DEFAULT_DAYS, help="1 to 366 (default 90)"
        )
        create.add_argument("--format", choices=["text", "json"], default="text")
        listing = sub.add_parser("list", help="every token (prefix, scope, expiry, state)")
        listing.add_argument("--format", choices=["text", "json"], default="text")
        revoke = sub.add_parser("revoke", help="revoke a token by its 8-character prefix")
        revoke.add_argument("prefix")
        revoke.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                self._create(options)
            elif action == "list":
                self._list(options)
            else:
                record = api_token_revoke(prefix=options["prefix"], actor=_actor())
                if options["format"] == "json":
                    self.stdout.write(to_json(token_json(record)))
                else:
                    self.stdout.write(f"revoked {record.prefix} ({record.name})")
        except TokenError as exc:
            raise CommandError(str(exc), returncode=2) from exc

    def _create(self, options: dict[str, Any]) -> None:
        partner = None
        if options["partner"]:
            partner = Partner.objects.filter(external_id=options["partner"]).first()
            if partner is None:
                raise CommandError(
                    f"--partner {options['partner']!r}: no partner has this external id",
                    returncode=2,
                )
        name = options["name"] or (
            f"partner {partner.external_id}" if partner is not None else "vendor integration"
        )
        created = api_token_create(
            name=name,
            partner=partner,
            actor=_actor(),
            expires_in_days=options["expires_in_days"],
        )
        if options["format"] == "json":
            self.stdout.write(to_json({"token": created.token, **token_json(created.record)}))
        else:
            self.stdout.write(
                f"{created.token}\n(shown once; scope {created.record.scope}, "
                f"expires {created.record.expires_at:%Y-%m-%d %H:%M %Z})"
            )

    def _list(self, options: dict[str, Any]) -> None:
        rows = [token_json(r) for r in api_tokens_list()]
        if options["format"] == "json":
            self.stdout.write(to_json(rows))
            return
        self.stdout.write(
            to_table(
                ["prefix", "name", "scope", "expires", "state", "last used"],
                [
                    [
                        r["prefix"],
                        r["name"],
                        r["scope"],
                        f"{r['expires_at']:%Y-%m-%d}",
                        "active" if r["active"] else ("revoked" if r["revoked_at"] else "expired"),
                        f"{r['last_used_at']:%Y-%m-%d %H:%M}" if r["last_used_at"] else "-",
                    ]
                    for r in rows
                ],
            )
        )
