from django.core.management.base import BaseCommand, CommandError

from seats.importers import ImportFileError, hexmap_import, read_source
from seats.models import BoundarySet


class Command(BaseCommand):
    help = "Load a HexJSON (odd-r) constituency layout onto a boundary set's constituencies."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path or http(s) URL of the .hexjson")
        parser.add_argument("--boundary-set", choices=BoundarySet.values, required=True)

    def handle(self, *args, source, boundary_set, **options):
        try:
            report = hexmap_import(text=read_source(source), boundary_set=boundary_set)
        except ImportFileError as error:
            raise CommandError(str(error))
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(
            self.style.SUCCESS(
                f"{boundary_set}: {report.updated} hexes placed on existing constituencies, "
                f"{report.created} constituencies created, {len(report.errors)} skipped."
            )
        )
