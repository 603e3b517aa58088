"""URL configuration: sign-in at /accounts/, the partner portal at /portal/, the channel
console at /console/, the language switcher at /i18n/, the admin at /admin/, the REST API at
/api/v1/."""

from django.contrib import admin
from django.urls import include, path

from partnerprogram.accounts.views import home
from partnerprogram.api.main import urls as api_urls

admin.site.site_header = "partnerprogram"
admin.site.site_title = "partnerprogram"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("partnerprogram.portal.urls")),
    path("console/", include("partnerprogram.console.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
]
