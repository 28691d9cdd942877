from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from socialplan.national.tallies import refresh
from socialplan.registry.bulk import ImportRefused, import_people
from socialplan.uploads import CSV_ENCODINGS, UploadError

from ._register_files import municipality_and_user


class Command(BaseCommand):
    help = (
        "Import a list of people (CSV or XLSX, first row the column names) into a "
        "municipality's register: all rows or none; duplicates are skipped and counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--municipality", required=True, help="its code, e.g. durres")
        parser.add_argument("--user", required=True, help="the username the import is made by")
        parser.add_argument("--category", default="", help="a category code given to everyone")
        parser.add_argument("--source", default="", help="where the category comes from")
        parser.add_argument(
            "--encoding",
            default="utf-8",
            choices=[code for code, _name in CSV_ENCODINGS],
            help="a CSV file's encoding (default UTF-8; never guessed)",
        )

    def handle(self, *args, file, municipality, user, category, source, encoding, **options):
        place, by = municipality_and_user(municipality, user)
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            result = import_people(
                path=file,
                municipality=place,
                user=by,
                category_code=category,
                source=source,
                encoding=encoding,
            )
        except (ImportRefused, UploadError) as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            # A dropped connection, a restart, a full disk on the server: the
            # people are written in one transaction, and it did not commit.
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise CommandError(
                f"The import stopped because the database failed ({reason}). "
                "Nothing was imported: correct the cause and run it again."
            ) from error
        refresh(place)
        self.stdout.write(
            f"{result.created:,} people imported ({result.households:,} households) from "
            f"{result.rows:,} rows; skipped as already in the register: "
            f"{result.duplicates_in_register:,}, repeated in the file: "
            f"{result.duplicates_in_file:,}"
        )
