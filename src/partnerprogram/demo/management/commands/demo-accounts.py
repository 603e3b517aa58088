"""``partnerprogram demo-accounts [--format text|json] [--base-url URL]``: create and list the
demo logins. The sign-in address printed is ``<base url>/accounts/login/``: the base URL is
``--base-url``, else the ``PARTNERPROGRAM_BASE_URL`` environment variable, else
``http://127.0.0.1:8000`` (``make demo HOST=...`` passes ``http://$(HOST)``)."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerprogram.core.cli_output import to_json
from partnerprogram.demo.accounts import demo_accounts_ensure

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def sign_in_url(base_url: str | None) -> str:
    """The sign-in page under ``base_url`` (``http://host:port``, a trailing ``/`` allowed;
    ``None`` or empty: ``PARTNERPROGRAM_BASE_URL``, else :data:`DEFAULT_BASE_URL`)."""
    base = base_url or os.environ.get("PARTNERPROGRAM_BASE_URL") or DEFAULT_BASE_URL
    return base.rstrip("/") + "/accounts/login/"


class Command(BaseCommand):
    help = "Create (or reset) the demo sign-in accounts and print them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--base-url",
            help="where the site is served, e.g. http://127.0.0.1:8777 (default: "
            f"$PARTNERPROGRAM_BASE_URL, else {DEFAULT_BASE_URL})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_accounts_ensure()
        if options["format"] == "json":
            self.stdout.write(to_json([asdict(a) for a in accounts]))
            return
        self.stdout.write(f"Demo sign-in at {sign_in_url(options['base_url'])} :")
        for a in accounts:
            who = f"  {a.partner} {a.partner_name}" if a.partner else ""
            self.stdout.write(f"  {a.role:16} {a.username:17} {a.password}{who}")
