from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from weizhong.clinic.ops.backup import (
    SECRET_KEY_NOTE,
    BackupError,
    count_lines,
    default_output_dir,
    human_size,
    make_backup,
)


class Command(BaseCommand):
    help = (
        "Write one backup archive of the clinic database (SQLite snapshot or pg_dump, a "
        "manifest with row counts and checksums) and its .sha256. The secret key is not in it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="DIR",
            help="the folder for the archive (default: the data directory's backups/)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or default_output_dir()
        try:
            result = make_backup(output)
        except BackupError as error:
            raise CommandError(error.message) from None
        manifest = result.manifest
        self.stdout.write(f"backup written: {result.path}")
        self.stdout.write(f"  size     {human_size(result.size)} ({result.size} bytes)")
        self.stdout.write(f"  sha256   {result.sha256}")
        self.stdout.write(f"           (also in {result.checksum_path.name})")
        self.stdout.write(
            f"  engine   {manifest.engine}, weizhong {manifest.version}, "
            f"created {manifest.created}, {result.seconds:.1f} s"
        )
        self.stdout.write("rows:")
        for line in count_lines(manifest.counts):
            self.stdout.write(line)
        self.stdout.write(self.style.WARNING(SECRET_KEY_NOTE))
