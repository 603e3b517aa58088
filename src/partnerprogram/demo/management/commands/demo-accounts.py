"""``partnerprogram demo-accounts [--format text|json]``: create and list the demo logins."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerprogram.core.cli_output import to_json
from partnerprogram.demo.accounts import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create (or reset) the demo sign-in accounts and print them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_accounts_ensure()
        if options["format"] == "json":
            self.stdout.write(to_json([asdict(a) for a in accounts]))
            return
        self.stdout.write("Demo sign-in at http://127.0.0.1:8000/accounts/login/ :")
        for a in accounts:
            who = f"  {a.partner} {a.partner_name}" if a.partner else ""
            self.stdout.write(f"  {a.role:16} {a.username:17} {a.password}{who}")
