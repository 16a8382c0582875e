from django.core.management.base import BaseCommand, CommandError

from seats.models import Election
from seats.party_codes import DEFAULT_BLOC
from seats.targets import election_seat_rows


class Command(BaseCommand):
    help = "Count the seats won by the Conservatives despite a progressive majority (-v 2 lists)."

    def add_arguments(self, parser):
        parser.add_argument("--election", required=True)
        parser.add_argument(
            "--bloc", default=",".join(DEFAULT_BLOC), help="Short names, e.g. Lab,LD,Green"
        )

    def handle(self, *args, election, bloc, verbosity, **options):
        try:
            election_obj = Election.objects.get(slug=election)
        except Election.DoesNotExist:
            raise CommandError(f"No election {election!r}: import its results first.")
        parties = tuple(p.strip() for p in bloc.split(",") if p.strip())
        rows = [
            r
            for r in election_seat_rows(election_obj, parties)
            if r.analysis.progressive_majority_lost
        ]
        self.stdout.write(
            f"{election_obj.slug}: {len(rows)} seats won by the Conservatives despite a "
            f"progressive majority (bloc: {', '.join(parties)})"
        )
        if verbosity >= 2:
            for row in sorted(rows, key=lambda r: r.constituency.name):
                a = row.analysis
                self.stdout.write(
                    f"  {row.constituency.name} ({row.constituency.ons_code}): Con {a.winner_votes}"
                    f", bloc {a.bloc_total}; best placed {a.best_placed}"
                )
