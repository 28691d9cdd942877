from django.core.management.base import BaseCommand, CommandError

from socialplan.datafile import DataFileError
from socialplan.needs.loader import load_needs_file


class Command(BaseCommand):
    help = "Load a needs figures file (docs/needs-format.md). Idempotent; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        try:
            municipality = load_needs_file(path)
        except DataFileError as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from exc
        self.stdout.write(f"{municipality.name}: {municipality.need_figures.count()} needs figures")
