"""Shared pytest configuration. Factories live in ``tests/factories.py``."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_after_each_test() -> object:
    """A request in French leaves French active in the test thread: every test starts and
    ends in English so that tests do not depend on their order."""
    translation.activate("en")
    yield
    translation.activate("en")
