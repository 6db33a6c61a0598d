from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from weizhong.clinic.actions import do_create_api_token


class Command(BaseCommand):
    help = "Make a personal API token for a user (printed once; only its digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user '{options['username']}'")
        _token, key = do_create_api_token(user=user, name=options["name"])
        self.stdout.write(key)
