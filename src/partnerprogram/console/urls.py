"""The channel console (/console/): vendor staff steer the program."""

from django.urls import path

from partnerprogram.console import views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
