"""Sessions and response headers.

- A session ends after 15 minutes without activity and 12 hours after signing in, whatever the
  activity (``WEIZHONG_IDLE_MINUTES``, ``WEIZHONG_SESSION_HOURS``). Django rotates the session
  id at sign-in.
- Every signed-in session is listed on the user's "Sessions" page, where they can end the
  others (a lost tablet); an ended session is signed out at its next request.
- A content security policy that the pages obey: scripts and styles only from the app's own
  files, no inline script, no framing, forms post only to the app.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from weizhong.clinic import actions
from weizhong.clinic.audit import events as audit_events
from weizhong.clinic.audit.events import EventName
from weizhong.clinic.audit.trail import client_ip, record
from weizhong.clinic.models import UserSession

TOUCH_EVERY = 60  # seconds between writes of "last seen" (not one write per request)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def remember_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    now = time.time()
    request.session["auth_at"] = now
    request.session["seen"] = now
    if request.session.session_key is None:
        request.session.save()
    actions.do_remember_session(
        user=user,
        session_key=request.session.session_key or "",
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.idle = settings.WEIZHONG_IDLE_MINUTES * 60
        self.longest = settings.WEIZHONG_SESSION_HOURS * 3600

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            ended = self._expired(request)
            if ended:
                user = request.user
                logout(request)
                record(ended, user=user, username=user.get_username(),
                       path=request.path[:300], ip=client_ip(request),
                       method=request.method or "", status=302, allowed=True)  # fmt: skip
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # the API authenticates by token
                messages.info(request, _("You were signed out: %(why)s.") % {"why": _(ended.what)})
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> EventName | None:
        now = time.time()
        session = request.session
        auth_at = session.setdefault("auth_at", now)
        seen = session.get("seen", now)
        if now - seen > self.idle:
            return audit_events.SIGNED_OUT_IDLE
        if now - auth_at > self.longest:
            return audit_events.SIGNED_OUT_LONG
        key = session.session_key
        if key and UserSession.objects.filter(session_key=key, ended__isnull=False).exists():
            return audit_events.SIGNED_OUT_ELSEWHERE
        if now - seen > TOUCH_EVERY:
            session["seen"] = now
            actions.do_note_session_seen(session_key=key or "", ip=client_ip(request))
        return None


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.user.is_authenticated or request.path.startswith("/p/"):
            response.setdefault("Cache-Control", "no-store")  # patient data stays off disks
        return response
