"""The channel console (/console/): vendor staff steer the program. Every view requires vendor
staff (tests/console/test_access.py walks this urlconf)."""

from django.urls import path

from partnerprogram.console import views
from partnerprogram.console.views.tokens import tokens

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("partners/", views.partners, name="partners"),
    path("partners/<str:external_id>/", views.partner, name="partner"),
    path("partners/<str:external_id>/override/", views.partner_override, name="partner_override"),
    path("approvals/", views.approvals, name="approvals"),
    path(
        "approvals/registrations/<str:external_id>/decide/",
        views.registration_decide,
        name="registration_decide",
    ),
    path("approvals/influence/<int:pk>/decide/", views.influence_decide, name="influence_decide"),
    path("claims/", views.claims, name="claims"),
    path("tokens/", tokens, name="tokens"),
    path("imports/", views.imports, name="imports"),
    path("simulation/", views.simulation, name="simulation"),
    path("simulation/draft/", views.simulation_draft, name="simulation_draft"),
    path("simulation/run/", views.simulation_run, name="simulation_run"),
    path("simulation/calibrate/", views.simulation_calibrate, name="simulation_calibrate"),
]
