from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from weizhong.clinic.ops.appointment_reminders import send_appointment_reminders
from weizhong.clinic.ops.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail today's home programme to patients who asked for a daily reminder, and a "
        "reminder with a calendar file for each appointment in the next 24 hours."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, send nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        run = send_reminders(dry_run=options["dry_run"])
        self.stdout.write(f"sent {run.sent}, skipped {run.skipped}, failed {len(run.failed)}")
        for line in run.failed:
            self.stderr.write(f"failed: {line}")
        visits = send_appointment_reminders(dry_run=options["dry_run"])
        self.stdout.write(f"appointment reminders: sent {visits.sent}, failed {len(visits.failed)}")
        for line in visits.failed:
            self.stderr.write(f"failed: {line}")
