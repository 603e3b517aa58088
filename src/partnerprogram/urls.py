"""URL configuration: the admin for now; the portal, console and API mount here later."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
