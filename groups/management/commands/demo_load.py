import importlib
import importlib.util

from django.core.management.base import BaseCommand

from groups.demo import DEMO_DOMAIN, DEMO_PASSWORD
from groups.models import Group

# Order matters: later apps build on earlier apps' sample data.
DEMO_MODULES = [
    "groups.demo",
    "seats.demo",
    "seats.demo_pacts",
    "events.demo",
    "petitions.demo",
    "conversations.demo",
    "priorities.demo",
    "primaries.demo",
]


class Command(BaseCommand):
    help = "Load the labelled demo sample once (parties, groups, people, events, petitions)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load again even if demo data exists."
        )

    def handle(self, *args, force: bool = False, **options):
        if Group.objects.filter(contact_email__endswith=f"@{DEMO_DOMAIN}").exists() and not force:
            self.stdout.write("Demo data already loaded; reusing it.")
            return
        failed = []
        for module_name in DEMO_MODULES:
            if importlib.util.find_spec(module_name) is None:
                continue  # that app has no sample data yet
            module = importlib.import_module(module_name)
            if module_name == "groups.demo":
                # The core sample: without it nothing else makes sense, so errors propagate.
                logins = module.load(stdout=self.stdout)
                self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}):"))
                for role, email in logins.items():
                    self.stdout.write(f"  {role:30} {email}")
                continue
            try:
                module.load(stdout=self.stdout)  # each app's sample is one transaction
            except Exception as error:  # noqa: BLE001 - one app's sample must not stop the run
                failed.append(module_name)
                self.stderr.write(self.style.ERROR(f"{module_name} failed, skipped: {error!r}"))
        if failed:
            self.stderr.write(
                self.style.WARNING(
                    f"Demo data loaded without {', '.join(failed)}; "
                    "fix it and run `manage.py demo_load --force`."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("Demo data loaded (labelled as sample)."))
