"""URL configuration: the admin site; the portal, console and API mount here later."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "partnerprogram"
admin.site.site_title = "partnerprogram"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
