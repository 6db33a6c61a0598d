"""WSGI entry point: ``gunicorn weizhong.site.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhong.site.settings")
application = get_wsgi_application()
