"""Personas (healthchecks style): two look-alike partners and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from partnerprogram.accounts.models import Membership
from partnerprogram.partners.models import Partner
from tests.factories import PartnerFactory, TrackEnrolmentFactory

PASSWORD = "correct horse battery staple"


@dataclass
class Personas:
    alpha: Partner  # alice's and amy's partner
    beta: Partner  # the look-alike: bob's partner
    alice: AbstractBaseUser  # partner admin of alpha
    amy: AbstractBaseUser  # partner user of alpha
    bob: AbstractBaseUser  # partner admin of beta
    carol: AbstractBaseUser  # channel manager
    paula: AbstractBaseUser  # program admin
    dave: AbstractBaseUser  # signed up, no role


def _user(username: str, role: str | None, partner: Partner | None = None) -> AbstractBaseUser:
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.test"
    )
    if role:
        Membership.objects.create(user=user, role=role, partner=partner)
    return user


@pytest.fixture
def personas(db: None) -> Personas:
    alpha = PartnerFactory(external_id="ALPHA", name="Alpha Conseil")
    beta = PartnerFactory(external_id="BETA", name="Alpha Conseil Bis")
    for partner in (alpha, beta):
        TrackEnrolmentFactory(partner=partner, track="solution_provider")
    return Personas(
        alpha=alpha,
        beta=beta,
        alice=_user("alice", "partner_admin", alpha),
        amy=_user("amy", "partner_user", alpha),
        bob=_user("bob", "partner_admin", beta),
        carol=_user("carol", "channel_manager"),
        paula=_user("paula", "program_admin"),
        dave=_user("dave", None),
    )
