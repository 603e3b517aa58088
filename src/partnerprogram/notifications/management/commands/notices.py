"""``partnerprogram notices send [--limit N] [--format text|json]``: retry the notices whose
email failed (mail server down): they are stored, with the error, until sent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerprogram.core.cli_output import to_json
from partnerprogram.notifications.services import notices_send_pending


class Command(BaseCommand):
    help = "Notices: `notices send` emails the stored notices not emailed yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send"])
        parser.add_argument("--limit", type=int, help="at most this many notices")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        sent, failed = notices_send_pending(limit=options["limit"])
        if options["format"] == "json":
            self.stdout.write(to_json({"sent": sent, "failed": failed}))
        else:
            self.stdout.write(f"notices emailed: {sent}, still failing: {failed}")
