"""People and certifications: the team employed today, credentials with expiry, the warning
before the claim deadline, and which requirement each person counts for."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from partnerprogram.portal.selectors import portal_context
from partnerprogram.portal.selectors.people import people_metric, team_of
from partnerprogram.programs.metrics import MetricContext, compute_metric
from partnerprogram.programs.schema import MetricRef
from tests.factories import CertificationFactory, CredentialFactory, PersonFactory
from tests.portal.conftest import DEADLINE, TODAY, World, client_for, text


@pytest.mark.django_db
def test_team_credentials_and_deadline_warning(world: World) -> None:
    page = text(client_for(world.personas.amy).get(reverse("portal:people")))
    # Ana, Bruno, Chloé, Eve employed; Dan left on 2026-06-01
    assert "4 people employed on Nov. 29, 2026." in page
    for name in ("Ana Martin", "Bruno Petit", "Chloé Durand", "Eve Roux"):
        assert name in page
    assert "Dan Leroy" not in page
    # one credential (Bruno's, 2026-12-15) expires before the deadline
    assert (
        "1 credential expires on or before the claim deadline (Dec. 31, 2026): it will not "
        "count on that day."
    ) in page
    assert "before the claim deadline" in page.split("Bruno Petit", 1)[1].split("</tr>", 1)[0]
    assert (
        "No longer counts at the claim deadline"
        in page.split("Bruno Petit", 1)[1].split("</tr>", 1)[0]
    )
    # Chloé's expired RHEL credential is not listed, her OpenShift one is (no expiry)
    chloe = page.split("Chloé Durand", 1)[1].split("</tr>", 1)[0]
    assert "OCP-100" in chloe and "RHEL-200" not in chloe and "no expiry" in chloe
    # the people requirement: 3 today, 2 on the deadline, used by both tiers of the track
    row = page.split("Requirements on people", 1)[1].split("</tbody>", 1)[0]
    assert "Certified people" in row and "Solution provider: Advanced, Premier" in row
    assert '<td class="num">3</td>' in row and '<td class="num warn">2</td>' in row
    # Eve holds nothing: counts for nothing
    eve = page.split("Eve Roux", 1)[1].split("</tr>", 1)[0]
    assert "None" in eve and "Certified people" not in eve


@pytest.mark.django_db
def test_people_metric_matches_the_engine(world: World) -> None:
    """The portal's one-partner count gives the engine's population-wide value, including a
    credential recorded under the same human's employment at another partner."""
    ocp = CertificationFactory(code="OCP-100")
    # Eve earned an OpenShift credential while at Beta (same human, same e-mail)
    eve_at_beta = PersonFactory(
        partner=world.beta,
        email="EVE.roux@example.test",
        employed_from=date(2018, 1, 1),
        employed_until=date(2019, 12, 31),
    )
    CredentialFactory(person=eve_at_beta, certification=ocp, expires_on=date(2027, 1, 15))
    ctx = portal_context(partner=world.alpha, on=TODAY)
    team = team_of(ctx, start=TODAY, end=DEADLINE)
    refs = [
        MetricRef.build("certified_people"),
        MetricRef.build("certified_people", {"family": ["rhel"]}),
        MetricRef.build("credentials"),
        MetricRef.build("credentials", {"family": ["openshift"]}),
    ]
    for on in (TODAY, DEADLINE, date(2027, 2, 1)):
        for ref in refs:
            engine = compute_metric(
                metric=ref.metric,
                where=ref.where_dict(),
                window=None,
                context=MetricContext(as_of=on, currency="EUR"),
            ).get(world.alpha.pk, 0)
            assert people_metric(team, ref, on) == engine, (ref.key, on)
    assert people_metric(team, refs[0], TODAY) == 4  # Ana, Bruno, Chloé and now Eve
