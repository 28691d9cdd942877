"""Write one municipality's services directory as HSDS 3.0 open data (JSON or CSV package)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from socialplan.directory.hsds import export_csv_package, export_dataset
from socialplan.territory.models import Municipality


class Command(BaseCommand):
    help = (
        "Export a municipality's services directory as HSDS 3.0: one JSON file, or a CSV "
        "data package (a folder). Confidential addresses are never exported."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality", help="the municipality's code, e.g. durres")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--out",
            help="the JSON file (default: standard output) or, for csv, the folder to write",
        )

    def handle(self, municipality, format, out, **options):
        town = Municipality.objects.filter(code=municipality).first()
        if town is None:
            raise CommandError(f"No municipality has the code {municipality!r}.")
        if format == "csv":
            if not out:
                raise CommandError("--out is required with --format csv (a folder).")
            written = export_csv_package(town, out)
            self.stdout.write(f"{town.name}: wrote {len(written)} files to {out}")
            return
        text = json.dumps(export_dataset(town), indent=2, ensure_ascii=False) + "\n"
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stdout.write(f"{town.name}: wrote {out}")
        else:
            sys.stdout.write(text)
