"""The daily home-programme reminder: one e-mail per patient who asked for it, has an active
portal link and exercises scheduled today, and has not yet ticked them all."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from weizhong.clinic.accounts import portal_links
from weizhong.clinic.accounts.http import base_url
from weizhong.clinic.models import Patient
from weizhong.clinic.records import services


@dataclass(frozen=True)
class ReminderRun:
    sent: int
    skipped: int
    failed: list[str]


def send_reminders(dry_run: bool = False) -> ReminderRun:
    today = timezone.localdate()
    sent = skipped = 0
    failed: list[str] = []
    messages = []
    candidates = (
        Patient.objects.filter(reminders=True, portal_active=True)
        .exclude(email="")
        .select_related("clinic")
    )
    for patient in candidates.iterator():
        plan = services.active_plan(patient)
        due = services.exercises_today(plan, today)
        done = set(patient.home_logs.filter(day=today).values_list("exercise", flat=True))
        waiting = [e for e in due if e["id"] not in done]
        held = plan is not None and plan.plan.get("status") in ("refer_first", "screen_first")
        if not waiting or held:
            skipped += 1
            continue
        link = base_url() + portal_links.url_for(None, patient)
        names = "\n".join(f"- {e['name']}: {e['dose_text']}" for e in waiting)
        body = _(
            "Hello %(name)s,\n\nToday's home programme from %(clinic)s:\n%(list)s\n\n"
            "Open your programme and tick each one when done:\n%(link)s\n\n"
            "To stop these reminders, tell the clinic."
        ) % {"name": patient.given_name, "clinic": patient.clinic.name, "list": names, "link": link}
        messages.append(
            EmailMessage(
                subject=_("Your exercises for today"),
                body=body,
                from_email=patient.clinic.email or settings.DEFAULT_FROM_EMAIL,
                to=[patient.email],
            )
        )
    if dry_run:
        return ReminderRun(0, skipped + len(messages), [])
    connection = get_connection(fail_silently=False)
    for message in messages:
        message.connection = connection
        try:
            message.send()
            sent += 1
        except Exception as error:  # one bad address must not stop the others
            failed.append(f"{message.to[0]}: {error}")
    return ReminderRun(sent, skipped, failed)
