from django.core.management.base import BaseCommand, CommandError

from socialplan.datafile import DataFileError
from socialplan.directory.loader import load_directory_file


class Command(BaseCommand):
    help = "Load a services directory file (docs/directory-format.md). Idempotent; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        try:
            municipality = load_directory_file(path)
        except DataFileError as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from exc
        self.stdout.write(
            f"{municipality.name}: {municipality.organisations.count()} organisations, "
            f"{municipality.services.count()} services"
        )
