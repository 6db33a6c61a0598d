from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from weizhong.clinic.ops.backup import SECRET_KEY_NOTE, BackupError, count_lines
from weizhong.clinic.ops.restore import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup archive made by 'backup' into the clinic database, after checking "
        "its checksums. Stop the server first. A database that holds patients is replaced only "
        "with --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the weizhong-backup-….tar file")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="replace the database even though it holds patients",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_backup(options["archive"], replace=options["yes"])
        except BackupError as error:
            raise CommandError(error.message) from None
        manifest = result.manifest
        self.stdout.write(f"restored {result.path.name} into {result.target} ({result.engine})")
        self.stdout.write(
            f"  backup of {manifest.created}, weizhong {manifest.version}; {result.seconds:.1f} s"
        )
        if result.replaced_patients:
            self.stdout.write(f"  replaced a database of {result.replaced_patients} patients")
        self.stdout.write("rows (checked against the backup's manifest):")
        for line in count_lines(result.counts):
            self.stdout.write(line)
        if result.migrations_pending:
            self.stdout.write(
                self.style.WARNING(
                    f"the backup predates {len(result.migrations_pending)} migration(s) of this "
                    "weizhong: run 'weizhong manage migrate' before starting the server"
                )
            )
        self.stdout.write(SECRET_KEY_NOTE)
