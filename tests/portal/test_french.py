"""The portal in French: a partner member switches the language and reads the portal's own
strings from its compiled catalogue (src/partnerprogram/portal/locale/fr)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from tests.portal.conftest import World, client_for, text


@pytest.fixture
def _english_afterwards() -> Iterator[None]:
    """The test client leaves the last request's language active in the thread: put English
    back so that later tests calling selectors directly are not rendered in French."""
    yield
    translation.activate("en")


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_afterwards")
def test_overview_and_opportunities_in_french(world: World) -> None:
    client = client_for(world.personas.alice)  # signed in, English cookie
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": "/portal/"})
    assert switched.status_code == 302

    overview = text(client.get(reverse("portal:overview")))
    assert '<html lang="fr">' in overview
    assert "<h3>Votre niveau : Avancé" in overview
    assert "Ce qu'il vous manque pour le niveau Premier" in overview

    opportunities = text(client.get(reverse("portal:opportunities")))
    assert '<h2 id="registrations">Enregistrements d\'affaires</h2>' in opportunities
    assert "Aucune déclaration d'influence." in opportunities
