import urllib.parse
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


def check_base_url(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Behind HTTPS (``WEIZHONG_HTTPS=1``, every real clinic) ``WEIZHONG_BASE_URL`` must name the
    clinic's public https address: links in e-mails and CDS Hooks cards are built from it, and
    without it they would point wherever a request happened to arrive. ``weizhong serve`` and
    the WSGI application refuse to start on this error."""
    configured: str = settings.WEIZHONG_BASE_URL
    production = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
    if not configured:
        if not production:
            return []
        return [
            checks.Error(
                "WEIZHONG_BASE_URL is not set; behind HTTPS it is required.",
                hint="Set it to the clinic's public address, e.g. https://clinic.example.org.",
                id="weizhong.E001",
            )
        ]
    parts = urllib.parse.urlsplit(configured)
    allowed = ("https",) if production else ("http", "https")
    if parts.scheme not in allowed or not parts.hostname or parts.query or parts.fragment:
        return [
            checks.Error(
                f"WEIZHONG_BASE_URL {configured!r} is not an {' or '.join(allowed)} address.",
                hint="Set it to the clinic's public address, e.g. https://clinic.example.org.",
                id="weizhong.E002",
            )
        ]
    return []


def check_cds_clients(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The trusted CDS clients file (``WEIZHONG_CDS_CLIENTS``), when there is one, must be
    usable: a malformed file stops ``weizhong serve`` and ``weizhong manage check`` with a
    message naming the file, the client and the field, rather than refusing every EHR later."""
    from weizhong.clinic.interop.cds_clients import ClientsFileError, trusted_clients

    try:
        trusted_clients()
    except ClientsFileError as error:
        return [
            checks.Error(
                f"The trusted CDS clients file cannot be used: {error}",
                hint="Correct it (docs/interop.md shows its format), or remove it to trust none.",
                id="weizhong.E003",
            )
        ]
    return []


class ClinicConfig(AppConfig):
    name = "weizhong.clinic"
    label = "clinic"
    verbose_name = "weizhong clinic"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the app's receivers here, each to the sender it is about, rather than as
        a side effect of importing a module."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from weizhong.clinic.accounts import sessions
        from weizhong.clinic.audit import trail
        from weizhong.clinic.history import versions

        checks.register(check_base_url)
        checks.register(check_cds_clients)
        versions.connect_receivers()
        user = get_user_model()
        user_logged_in.connect(trail.signed_in, sender=user, dispatch_uid="weizhong-sign-in")
        user_logged_in.connect(
            sessions.remember_session, sender=user, dispatch_uid="weizhong-session"
        )
        user_logged_out.connect(trail.signed_out, sender=user, dispatch_uid="weizhong-sign-out")
        # Django sends a failed sign-in with the name of its auth module as the sender (a
        # string, not a class): every sender is taken.
        user_login_failed.connect(trail.sign_in_failed, dispatch_uid="weizhong-sign-in-failed")
