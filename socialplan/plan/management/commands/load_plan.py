from django.core.management.base import BaseCommand, CommandError

from socialplan.datafile import DataFileError
from socialplan.plan.loader import load_plan_file


class Command(BaseCommand):
    help = "Load a plan data file (docs/plan-format.md). Idempotent; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        try:
            result = load_plan_file(path)
        except DataFileError as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from exc
        plan = result.plan
        state = "loaded" if result.changed else "already loaded, unchanged"
        self.stdout.write(f"{plan.slug}: {state}")
