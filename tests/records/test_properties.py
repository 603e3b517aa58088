"""Properties of ``records_upsert`` over generated booking rows (duplicates, unknown
references and invalid values included): a dry run reports exactly what the real run then does,
and the same rows applied again create and update nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerprogram.core.records import records_upsert
from partnerprogram.partners.models import Partner
from partnerprogram.sales.models import Booking, Customer

pytestmark = pytest.mark.django_db

row_strategy = st.fixed_dictionaries(
    {
        "external_id": st.sampled_from([f"BK-{i}" for i in range(6)]),
        "booked_on": st.sampled_from(["2026-01-31", "2026-02-28", "2026-02-30"]),
        "amount": st.sampled_from(["0", "10.50", "-1", "99999.99", "1.999"]),
        "currency": st.sampled_from(["EUR", "USD", "eur"]),
        "customer": st.sampled_from(["CUS-1", "CUS-404"]),
        "product_line": st.just("rhel"),
        "channel": st.sampled_from(["direct", "indirect"]),
        "transacting_partner": st.sampled_from(["", "P-1", "P-404"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row_strategy, max_size=12), chunk_size=st.integers(1, 5))
def test_dry_run_matches_and_second_run_changes_nothing(
    rows: list[dict[str, Any]], chunk_size: int
) -> None:
    Partner.objects.get_or_create(external_id="P-1", defaults={"name": "A", "country": "FR"})
    Customer.objects.get_or_create(external_id="CUS-1", defaults={"name": "C"})
    numbered = [(i + 2, row) for i, row in enumerate(rows)]
    before = Booking.objects.count()
    dry = records_upsert(
        kind="bookings", rows=numbered, actor="system:test", dry_run=True, chunk_size=chunk_size
    )
    assert Booking.objects.count() == before
    real = records_upsert(
        kind="bookings", rows=numbered, actor="system:test", chunk_size=chunk_size
    )
    dry.applied = True
    assert dry == real
    assert real.total == len(rows)
    assert Booking.objects.count() == before + real.created
    again = records_upsert(kind="bookings", rows=numbered, actor="system:test")
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == real.created + real.updated + real.unchanged
