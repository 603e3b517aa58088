"""WSGI entry point (``partnerprogram.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerprogram.settings")
application = get_wsgi_application()
