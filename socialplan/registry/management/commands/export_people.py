from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from socialplan.registry.bulk import ExportFailed, export_people

from ._register_files import municipality_and_user


class Command(BaseCommand):
    help = (
        "Export a municipality's register to a CSV file (UTF-8). The file appears only "
        "when complete; it holds personal data: keep it as the register itself."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path)
        parser.add_argument("--municipality", required=True, help="its code, e.g. durres")
        parser.add_argument("--user", required=True, help="the username the export is made by")

    def handle(self, *args, destination, municipality, user, **options):
        place, by = municipality_and_user(municipality, user)
        if not destination.parent.is_dir():
            raise CommandError(f"No folder {destination.parent}.")
        try:
            rows = export_people(municipality=place, destination=destination, user=by)
        except ExportFailed as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{rows:,} people written to {destination}")
