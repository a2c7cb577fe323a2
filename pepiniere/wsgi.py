"""The WSGI application (`gunicorn pepiniere.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pepiniere.settings")
application = get_wsgi_application()

from pepiniere.lib.startup import require_collected_static  # noqa: E402 (needs settings loaded)

require_collected_static()
