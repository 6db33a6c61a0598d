from django.apps import AppConfig


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
