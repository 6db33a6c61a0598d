from typing import Any

from django.core.management.base import BaseCommand, CommandError

from weizhong.clinic.audit.trail import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; name the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        check = verify_chain()
        if not check.intact:
            raise CommandError(
                f"audit chain broken at event {check.broken_at}: {check.problem} "
                f"({check.events} events read)"
            )
        self.stdout.write(f"audit chain intact: {check.events} events")
