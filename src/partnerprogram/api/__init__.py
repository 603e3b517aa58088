"""REST API (django-ninja) under ``/api/v1``: the integration face of the domain apps."""
