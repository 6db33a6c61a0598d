"""The Django project that serves the clinic web application (settings, URLs, WSGI)."""
