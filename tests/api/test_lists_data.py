"""Rows added for the query-budget tests: ``n`` more rows of every resource for partner A."""

from tests.api.conftest import World
from tests.factories import (
    BookingFactory,
    CertificationFactory,
    CloudUsageFactory,
    CredentialFactory,
    CustomerFactory,
    DealRegistrationFactory,
    OpportunityFactory,
    PartnerFactory,
    PartnerInvolvementFactory,
    PersonFactory,
)


def grow(world: World, n: int) -> None:
    for i in range(n):
        customer = CustomerFactory()
        person = PersonFactory(partner=world.a)
        CredentialFactory(person=person, certification=CertificationFactory())
        opportunity = OpportunityFactory(customer=customer)
        PartnerInvolvementFactory(opportunity=opportunity, partner=world.a)
        DealRegistrationFactory(partner=world.a, customer=customer, opportunity=opportunity)
        BookingFactory(customer=customer, transacting_partner=world.a, opportunity=opportunity)
        CloudUsageFactory(partner=world.a, product_line=f"line-{i}")
        PartnerFactory(merged_into=world.a)
