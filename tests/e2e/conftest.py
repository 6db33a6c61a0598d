"""The browser tests' live server lets one request at a time into the app when the test
database is SQLite.

Django's live server runs each request in its own thread and connection. On SQLite the test
database lives in memory in shared-cache mode, where a second connection that touches a table
another is writing fails at once with "database table is locked" (or, with the connection
shared, "no such savepoint"): shared cache has no busy timeout. Two requests at once, a page's
save-as-you-go beside its submit, then fail for a reason of the test set-up, not of the app; the
CI failed on this once. The app's real concurrency is proved by ``make reliability`` on file
SQLite and PostgreSQL. On PostgreSQL the live server is left as it is.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread


class OneAtATimeWSGIServer(ThreadedWSGIServer):
    """Still a thread per connection (so keep-alive never blocks the others), but the Django
    application is entered by one request at a time."""

    _lock = threading.Lock()

    def set_app(self, application: Any) -> None:
        lock = self._lock

        def one_at_a_time(environ: Any, start_response: Any) -> Any:
            with lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


class OneAtATimeLiveServerThread(LiveServerThread):
    def _create_server(self, connections_override: Any = None) -> Any:
        from django.db import connection

        if connection.vendor == "sqlite":
            self.server_class = OneAtATimeWSGIServer
        return super()._create_server(connections_override=connections_override)


def _install() -> None:
    # pytest-django's LiveServer imports the class from django.test.testcases when it starts.
    import django.test.testcases as testcases

    testcases.LiveServerThread = OneAtATimeLiveServerThread  # type: ignore[misc]


_install()
