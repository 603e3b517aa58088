"""The partner portal (/portal/): the partner's 360° view of its relationship."""

from django.urls import path

from partnerprogram.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.overview, name="overview"),
]
