import importlib
import importlib.util

from django.core.management.base import BaseCommand

from groups.demo import DEMO_PASSWORD
from groups.models import Group

# Order matters: later apps build on earlier apps' sample data.
DEMO_MODULES = ["groups.demo", "seats.demo", "events.demo", "petitions.demo"]


class Command(BaseCommand):
    help = "Load the labelled demo sample once (parties, groups, people, events, petitions)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even if demo data exists.")

    def handle(self, *args, force: bool = False, **options):
        if (
            Group.objects.filter(contact_email__endswith="@demo.alliance.test").exists()
            and not force
        ):
            self.stdout.write("Demo data already loaded; reusing it.")
            return
        for module_name in DEMO_MODULES:
            if importlib.util.find_spec(module_name) is None:
                continue  # that app has no sample data yet
            module = importlib.import_module(module_name)
            logins = module.load(stdout=self.stdout)
            if module_name == "groups.demo":
                self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}):"))
                for role, email in logins.items():
                    self.stdout.write(f"  {role:30} {email}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded (labelled as sample)."))
