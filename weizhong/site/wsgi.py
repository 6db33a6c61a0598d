"""WSGI entry point: ``gunicorn weizhong.site.wsgi:application``.

The system checks run first: a configuration that must not serve (behind HTTPS without
``WEIZHONG_BASE_URL``) stops the start with the check's message instead of serving wrong links.
"""

import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhong.site.settings")
application = get_wsgi_application()
_errors = [m for m in checks.run_checks() if m.is_serious() and not m.is_silenced()]
if _errors:
    raise ImproperlyConfigured("; ".join(f"{m.msg} {m.hint or ''}".strip() for m in _errors))
