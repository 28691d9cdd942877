"""Read HSDS 3.0 data (a JSON file or a CSV data package) into a municipality's directory."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from socialplan.directory.hsds import HsdsImportError, import_csv_package, import_dataset
from socialplan.territory.models import Municipality


class Command(BaseCommand):
    help = (
        "Import HSDS 3.0 data into a municipality's directory: a .json file or a CSV data "
        "package folder. Everything is checked first; on any problem nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="the municipality's code, e.g. durres")
        parser.add_argument("path", help="a .json file or a folder holding datapackage.json")

    def handle(self, municipality, path, **options):
        town = Municipality.objects.filter(code=municipality).first()
        if town is None:
            raise CommandError(
                f"Nothing was imported.\nNo municipality has the code {municipality!r}."
            )
        path = Path(path)
        try:
            if path.is_dir():
                result = import_csv_package(town, path)
            else:
                result = import_dataset(town, _read_json(path))
        except HsdsImportError as exc:
            raise CommandError(f"Nothing was imported.\n{exc}") from exc
        self.stdout.write(f"{town.name}:\n{result.summary()}")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HsdsImportError([f"{path}: file not found"]) from None
    except UnicodeDecodeError as exc:
        raise HsdsImportError(
            [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    except json.JSONDecodeError as exc:
        raise HsdsImportError(
            [f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"]
        ) from None
