import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from weizhong.clinic.models import Patient, Visit
from weizhong.clinic.ops import demo


class Command(BaseCommand):
    help = "Create the demo clinic (once), or a large realistic clinic for load tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="the demo clinic, once")
        parser.add_argument("--patients", type=int, help="a load-test clinic of N patients")
        parser.add_argument("--clinic", default="Load-test clinic", help="its name")
        parser.add_argument("--seed", type=int, default=1, help="random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] is not None:
            n = options["patients"]
            if not 1 <= n <= 1_000_000:
                raise CommandError("--patients must be between 1 and 1000000")
            started = time.perf_counter()
            clinic = demo.seed_clinic(n, options["clinic"], options["seed"])
            counts = Patient.objects.filter(clinic=clinic).aggregate(n=Count("id"))
            visits = Visit.objects.filter(patient__clinic=clinic).count()
            self.stdout.write(
                f"clinic '{clinic.name}' ({clinic.slug}): {counts['n']} patients, "
                f"{visits} visits in {time.perf_counter() - started:.1f} s"
            )
        elif options["demo"]:
            made = demo.ensure_demo_clinic()
            self.stdout.write("demo clinic created" if made else "demo clinic already there")
        else:
            raise CommandError("say --demo or --patients N")
