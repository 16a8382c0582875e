import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from seats.importers import ImportFileError, election_get_or_create, read_source, results_import
from seats.models import BoundarySet


class Command(BaseCommand):
    help = (
        "Import a House of Commons Library results CSV (2019/2024 columns or 2017 snake_case) "
        "from a file or URL. Re-importing is idempotent; bad rows are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path or http(s) URL of the CSV")
        parser.add_argument("--election", required=True, help="Slug, e.g. ge2019")
        parser.add_argument("--name", default="", help="Election name (for new slugs)")
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (for new slugs)")
        parser.add_argument(
            "--boundary-set", choices=BoundarySet.values, default="", help="(for new slugs)"
        )

    def handle(self, *args, source, election, name, date, boundary_set, **options):
        try:
            election_obj = election_get_or_create(
                slug=election, name=name, on=date, boundary_set=boundary_set
            )
            text = read_source(source)
            tty = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()
            report = results_import(
                text=text,
                election=election_obj,
                progress=self._progress if tty else None,
            )
        except ImportFileError as error:
            raise CommandError(str(error))
        if tty:
            self.stdout.write("")
        for error in report.errors:
            self.stderr.write(f"{source}: {error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{election_obj.slug}: {report.imported} of {report.rows_read} rows imported "
                f"({report.constituencies_created} new constituencies), "
                f"{len(report.errors)} rejected."
            )
        )

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        self.stdout.flush()
