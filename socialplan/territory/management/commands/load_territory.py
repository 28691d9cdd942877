from django.core.management.base import BaseCommand, CommandError

from socialplan.datafile import DataFileError
from socialplan.territory.loader import load_territory_file


class Command(BaseCommand):
    help = "Load a territory file: administrative units and population figures (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        try:
            municipality = load_territory_file(path)
        except DataFileError as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from exc
        self.stdout.write(
            f"{municipality.name}: {municipality.units.count()} units, "
            f"{municipality.population_figures.count()} population figures"
        )
