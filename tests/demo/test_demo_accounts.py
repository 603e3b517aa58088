"""``partnerprogram demo-accounts``: the sign-in address printed follows ``--base-url`` (what
``make demo HOST=...`` passes), else ``PARTNERPROGRAM_BASE_URL``, else 127.0.0.1:8000."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


def _first_line(*args: str) -> str:
    out = StringIO()
    call_command("demo-accounts", *args, stdout=out)
    return out.getvalue().splitlines()[0]


@pytest.mark.django_db
def test_sign_in_address_follows_the_base_url(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    settings.DEBUG = True  # demo accounts are created only with DEBUG on
    monkeypatch.delenv("PARTNERPROGRAM_BASE_URL", raising=False)
    assert _first_line() == "Demo sign-in at http://127.0.0.1:8000/accounts/login/ :"
    # make demo HOST=127.0.0.1:8777 passes --base-url http://127.0.0.1:8777
    assert _first_line("--base-url", "http://127.0.0.1:8777") == (
        "Demo sign-in at http://127.0.0.1:8777/accounts/login/ :"
    )
    assert _first_line("--base-url", "https://pex.example/") == (
        "Demo sign-in at https://pex.example/accounts/login/ :"
    )
    monkeypatch.setenv("PARTNERPROGRAM_BASE_URL", "http://10.0.0.5:9000")
    assert _first_line() == "Demo sign-in at http://10.0.0.5:9000/accounts/login/ :"
    # the option wins over the environment
    assert _first_line("--base-url", "http://127.0.0.1:8777") == (
        "Demo sign-in at http://127.0.0.1:8777/accounts/login/ :"
    )
