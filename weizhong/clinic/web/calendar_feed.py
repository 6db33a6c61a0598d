"""A clinician's private calendar feed (iCalendar, RFC 5545): the secret in its address is the
only key, so a calendar app can subscribe without signing in. Its address comes from
``GET /api/v1/me/calendar``."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from weizhong.clinic.models import ClinicianCalendar, Staff
from weizhong.clinic.records import calendar, scheduling

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=180)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = get_object_or_404(ClinicianCalendar.objects.select_related("user"), feed_key=token)
    staff = get_object_or_404(
        Staff.objects.select_related("clinic"),
        user=feed.user,
        role=Staff.CLINICIAN,
        user__is_active=True,
    )
    now = timezone.now()
    found = scheduling.appointments_between(
        staff.clinic, now - PAST, now + AHEAD, clinician=feed.user
    ).select_related("clinic")
    name = f"{staff.clinic.name}: {feed.user.get_full_name() or feed.user.get_username()}"
    response = HttpResponse(
        calendar.calendar_of(found, name=name), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    return response
