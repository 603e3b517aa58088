import time
from datetime import date

import pytest

from partnerprogram.enablement.models import Certification, Credential
from partnerprogram.partners.models import Partner, Person
from partnerprogram.programs.metrics import MetricContext, compute_metric

pytestmark = pytest.mark.django_db


def test_bench():
    cert = Certification.objects.create(code="X", name="X", family="rhel", level="pro")
    partners = Partner.objects.bulk_create(
        [Partner(external_id=f"P{i}", name=f"P{i}", country="FR") for i in range(470)])
    people = Person.objects.bulk_create(
        [Person(external_id=f"E{i}", partner=partners[i % 470], email=f"u{i}@x.test",
                employed_from=date(2020, 1, 1)) for i in range(8000)])
    Credential.objects.bulk_create(
        [Credential(credential_id=f"C{i}", person=people[i % 8000], certification=cert,
                    earned_on=date(2024, 1, 1)) for i in range(16000)])
    ctx = MetricContext(as_of=date(2026, 6, 30), currency="EUR")
    for m in ["certified_people", "credentials"]:
        t = time.perf_counter()
        v = compute_metric(metric=m, where={"family": "rhel"}, window=None, context=ctx)
        print(m, len(v), sum(v.values()), round(time.perf_counter() - t, 3))
