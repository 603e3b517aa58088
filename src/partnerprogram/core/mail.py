"""Email backends."""

from __future__ import annotations

import sys
from typing import Any

from django.core.mail.backends.console import EmailBackend as _ConsoleBackend


class ConsoleBackend(_ConsoleBackend):
    """Django's console backend writing to **stderr**: commands print their results (JSON, CSV)
    on stdout, and an email sent on the way must not corrupt them. The default backend."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)
