"""The partner portal (/portal/): the partner's 360° view of its relationship with the program.

Every view acts for ``request.membership.partner``; ids in URLs are looked up through the
partner's own querysets (another partner's id is a 404). ``tests/portal/test_isolation.py``
requests every pattern below as a look-alike partner.
"""

from django.urls import path

from partnerprogram.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("claim/", views.claim, name="claim"),
    path("people/", views.people, name="people"),
    path("opportunities/", views.opportunities, name="opportunities"),
    path("opportunities/register/", views.register, name="register"),
    path("opportunities/register/check/", views.register_check, name="register_check"),
    path("opportunities/influence/", views.influence, name="influence"),
    path("opportunities/<int:pk>/", views.registration, name="registration"),
    path("business/", views.business, name="business"),
    path("benefits/", views.benefits, name="benefits"),
    path("guide/", views.guide, name="guide"),
]
