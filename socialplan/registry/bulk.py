"""Importing and exporting the register by the hundred thousand.

The page import (imports.py) shows every row for review and suits lists of a
few hundred. A municipality's whole list of economic-aid families, or a
ministry's national extract, goes through here instead (`manage.py
import_people`, `manage.py export_people`):

- import: the file is read as a stream (CSV in the encoding named, or XLSX
  through openpyxl's read-only mode), every row is checked with the page
  import's rules, duplicates against the register and within the file are
  found with two queries in all, and the people are written with COPY in one
  transaction. Any error refuses the whole file and writes nothing; a killed
  process or a dropped connection leaves nothing either (the transaction
  never commits).
- export: the rows stream straight from the database (COPY ... TO STDOUT on
  PostgreSQL, a server-side cursor elsewhere) to a temporary file beside the
  destination, which is renamed into place only when complete: a full disk
  or a size limit leaves no truncated file behind.
"""

import codecs
import csv
import datetime
import io
import itertools
import multiprocessing
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialplan.accounts.audit import record
from socialplan.bulkwrite import Writer, analyze, as_stored
from socialplan.dbrouting import reporting
from socialplan.directory.models import Category, fold
from socialplan.territory.models import AdministrativeUnit
from socialplan.uploads import (
    CSV_ENCODINGS,
    FORMULA_START,
    UploadError,
    _text,
    check_xlsx_archive,
)

from .imports import LABELS, RELATIONSHIPS, REQUIRED, _sex, guess_mapping
from .models import Person

MAX_ROWS = 1_000_000
MAX_ERRORS_SHOWN = 50
# A bulk import this large changes the tables enough to refresh the planner's statistics.
ANALYZE_FROM = 10_000
NATIONAL_ID = re.compile(r"[A-Z0-9]{6,20}")
DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class ImportRefused(Exception):
    """The file has errors; nothing was written. `errors` lists (row, message)."""

    def __init__(self, errors: list[tuple[int, str]], total: int):
        self.errors, self.total = errors, total
        super().__init__(
            _("%(n)s rows have errors; nothing was imported.") % {"n": total}
            + "".join(f"\n  {_('row')} {row}: {message}" for row, message in errors)
        )


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    households: int = 0
    duplicates_in_register: int = 0
    duplicates_in_file: int = 0
    skipped_rows: list[int] = field(default_factory=list)


# ------------------------------------------------------------------ reading


def _decode_lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """Text lines of a CSV file in the encoding named (UTF-8 by default, BOM or not),
    or UTF-16 with its BOM. Never guessed: a line that is not that encoding stops
    the import, naming the line (uploads.decode_csv does the same for the pages)."""
    if encoding not in dict(CSV_ENCODINGS):
        raise UploadError(_("Unknown encoding: %(e)s.") % {"e": encoding})
    with open(path, "rb") as raw:
        head = raw.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif encoding == "utf-8":
        encoding = "utf-8-sig"
    if encoding == "utf-16":
        with open(path, encoding=encoding, newline="") as text:
            yield from text
        return
    # Byte by line: in UTF-8 and the 8-bit encodings a newline is always the byte \n, so
    # a bad letter is reported on its own line (a text reader decodes ahead, in chunks).
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                yield line.decode(encoding if number == 1 else encoding.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise UploadError(
                    _(
                        "Line %(line)s of the file is not %(encoding)s text. If the file was "
                        "saved by an older program, choose its encoding (for example "
                        "Windows-1250) and upload it again."
                    )
                    % {"line": number, "encoding": dict(CSV_ENCODINGS).get(encoding, "UTF-8")}
                ) from exc


def read_csv_rows(path: Path, encoding: str = "utf-8") -> Iterator[list[str]]:
    lines = _decode_lines(path, encoding)
    first = next(lines, "")
    if "\x00" in first:
        raise UploadError(_("The file is not a CSV text file."))
    delimiter = max(",;\t", key=first.count)
    yield from csv.reader(itertools.chain([first], lines), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    """The first sheet's rows as text, streamed (openpyxl read-only mode).

    The archive is checked for bombs by read_rows before this runs."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UploadError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from exc
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [_text(v) for v in row]
    finally:
        book.close()


def _read_in_child(path: Path, pipe) -> None:
    """In a child process: parse the workbook and send its rows in batches."""
    try:
        batch = []
        for row in _xlsx_rows(path):
            batch.append(row)
            if len(batch) == 2000:
                pipe.send(("rows", batch))
                batch = []
        pipe.send(("rows", batch))
        pipe.send(("end", None))
    except UploadError as error:
        pipe.send(("error", str(error)))
    except (BrokenPipeError, EOFError):
        pass  # the importing process is gone: nothing to send to


def read_xlsx_rows_in_background(path: Path) -> Iterator[list[str]]:
    """The workbook's rows, parsed by a child process while this one checks and writes.

    openpyxl's parsing takes one core for the whole read (6,000 rows a
    second here); checking and COPYing on another core, in parallel, makes a
    large import take about the time of the read alone. Fork: the child only
    reads the file, never this process's database connection, and ends with
    os._exit (multiprocessing's default), which closes nothing it inherited.
    """
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child, args=(path, sending), daemon=True)
    child.start()
    sending.close()
    try:
        while True:
            try:
                kind, payload = receiving.recv()
            except EOFError as exc:
                raise UploadError(
                    _("The workbook cannot be read: %(error)s") % {"error": "reader stopped"}
                ) from exc
            if kind == "end":
                return
            if kind == "error":
                raise UploadError(payload)
            yield from payload
    finally:
        receiving.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def read_rows(path: Path, encoding: str = "utf-8") -> Iterator[list[str]]:
    with open(path, "rb") as file:
        head = file.read(4)
    if head.startswith(b"PK\x03\x04"):
        # Checked here, in this process, before a child is started for the rows.
        with open(path, "rb") as file:
            check_xlsx_archive(file.read())
        return read_xlsx_rows_in_background(path)
    return read_csv_rows(path, encoding)


# ------------------------------------------------------------------ checking


def _date(text: str) -> datetime.date | None:
    text = text.strip()
    try:
        if match := DMY.fullmatch(text):
            day, month, year = match.groups()
        elif match := YMD.fullmatch(text[:10]):
            year, month, day = match.groups()
        else:
            return None
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _units_by_name(municipality) -> dict[str, AdministrativeUnit]:
    names = {}
    for unit in AdministrativeUnit.objects.filter(municipality=municipality):
        for name in [unit.code, unit.name, *unit.aliases]:
            names[fold(name)] = unit.pk
    return names


class _Checker:
    """Reads the header, then checks rows one at a time (a generator of good rows).

    Errors are collected, not raised, so the whole file is checked and every
    problem reported at once; `rows` counts the lines read.
    """

    def __init__(self, rows: Iterator[list[str]], municipality):
        header = next(rows, None)
        if not header:
            raise UploadError(_("The file is empty."))
        mapping = guess_mapping([h.strip() for h in header])
        missing = [str(LABELS[f]) for f in sorted(REQUIRED) if f not in mapping]
        if missing:
            raise UploadError(
                _("No column for: %(fields)s. The first row must name the columns.")
                % {"fields": ", ".join(missing)}
            )
        self.source, self.municipality = rows, municipality
        self.col = {name: mapping.get(name) for name in LABELS}
        self.width = max(mapping.values()) + 1
        self.units = _units_by_name(municipality)
        self.errors: list[tuple[int, str]] = []
        self.rows = 0

    def good_rows(self) -> Iterator[tuple]:
        col, width, units, today = self.col, self.width, self.units, timezone.localdate()
        number = 1
        for raw in self.source:
            number += 1
            if number > MAX_ROWS + 1:
                raise UploadError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
            if len(raw) < width:
                raw = raw + [""] * (width - len(raw))

            def get(name, raw=raw):
                index = col[name]
                return raw[index].strip() if index is not None else ""

            first, last, sex_text = get("first_name"), get("last_name"), get("sex")
            born_text, unit_text = get("date_of_birth"), get("unit")
            if not (first or last or sex_text or born_text or unit_text):
                continue  # an empty line
            self.rows += 1
            message = [
                _("column for “%(f)s” is empty") % {"f": LABELS[f]}
                for f, v in (("first_name", first), ("last_name", last))
                if not v
            ]
            born = _date(born_text)
            if born is None or born > today or born.year < 1900:
                message.append(
                    _("“%(v)s” is not a date of birth (day/month/year)") % {"v": born_text}
                )
            sex = _sex(sex_text)
            if sex is None:
                message.append(_("“%(v)s” is not a sex (F or M)") % {"v": sex_text})
            unit = units.get(fold(unit_text))
            if unit is None:
                message.append(_("“%(v)s” is not one of your units") % {"v": unit_text})
            national_id = get("national_id").upper() or None
            if national_id and not NATIONAL_ID.fullmatch(national_id):
                message.append(_("“%(v)s” is not a national ID") % {"v": national_id})
            if message:
                self.errors.append((number, "; ".join(message)))
                continue
            yield (
                number, first, last, get("fathers_name"), sex, born, national_id, unit,
                get("address"), get("phone"), get("household"),
                RELATIONSHIPS.get(fold(get("relationship")), ""),
            )  # fmt: skip


def _in_register(municipality) -> tuple[set, set]:
    """National IDs, and (folded name, date of birth) pairs, already in the register:
    two queries, then every row of the file is checked in memory."""
    live = Person.objects.filter(municipality=municipality, merged_into__isnull=True)
    ids = set(live.exclude(national_id=None).values_list("national_id", flat=True))
    return ids, set(live.values_list("search_name", "date_of_birth"))


# ------------------------------------------------------------------ writing

PERSON_COLUMNS = [
    "id", "municipality_id", "unit_id", "first_name", "last_name", "fathers_name", "sex",
    "date_of_birth", "national_id", "household_id", "relationship", "address", "phone",
    "email", "search_name", "synthetic", "created_by_id", "created_at", "updated_at", "version",
]  # fmt: skip


def import_people(
    *,
    path: Path,
    municipality,
    user,
    category_code: str = "",
    source: str = "",
    request=None,
    encoding: str = "utf-8",
) -> ImportResult:
    """Check the whole file and write every new person, in one transaction.

    One pass: each good row goes to PostgreSQL's COPY as soon as it is read,
    so the database ingests on one core while Python reads on the other. A
    row with an error stops the writing (the rest is still checked, to report
    every problem), and the transaction is rolled back: nothing is written.
    """
    category = None
    if category_code:
        category = Category.objects.filter(code=category_code).first()
        if category is None:
            raise UploadError(_("“%(v)s” is not a category code.") % {"v": category_code})
    checker = _Checker(read_rows(Path(path), encoding), municipality)
    result = ImportResult()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        writer = Writer(cursor)
        writer.lock(["registry_household", "registry_person", "registry_personcategory"])
        # Households are written after their members: that key alone waits for COMMIT.
        writer.check_foreign_keys_as_written("registry_person", except_columns=["household_id"])
        registered_ids, registered_people = _in_register(municipality)
        first_person = writer.next_id("registry_person")
        household_id = writer.next_id("registry_household")
        households: dict[str, tuple] = {}
        seen_ids, seen_people = set(), set()
        next_person = first_person

        def people():
            nonlocal household_id, next_person
            for row in checker.good_rows():
                if checker.errors:
                    continue  # the import is refused: only check the rest
                (number, first, last, fathers, sex, born, national_id, unit, address, phone,
                 household, relationship) = row  # fmt: skip
                key = (fold(f"{first} {last}"), born)
                if (national_id and national_id in registered_ids) or key in registered_people:
                    result.duplicates_in_register += 1
                    result.skipped_rows.append(number)
                    continue
                if (national_id and national_id in seen_ids) or key in seen_people:
                    result.duplicates_in_file += 1
                    result.skipped_rows.append(number)
                    continue
                if national_id:
                    seen_ids.add(national_id)
                seen_people.add(key)
                home = None
                if household:
                    if household not in households:
                        households[household] = (household_id, municipality.pk, unit, address, now)
                        household_id += 1
                    home = households[household][0]
                yield (
                    next_person, municipality.pk, unit, first, last, fathers, sex, born,
                    national_id, home, relationship if home else "", address, phone, "", key[0],
                    False, user.pk, now, now, 1,
                )  # fmt: skip
                next_person += 1

        # People first, households after: the foreign key is checked at COMMIT.
        result.created = writer.write("registry_person", PERSON_COLUMNS, as_stored(people()))
        result.rows = checker.rows
        if checker.errors:
            raise ImportRefused(checker.errors[:MAX_ERRORS_SHOWN], len(checker.errors))
        writer.write(
            "registry_household",
            ["id", "municipality_id", "unit_id", "address", "created_at"],
            as_stored(iter(households.values())),
        )
        if category is not None:
            start, by = timezone.localdate(), user.pk
            label = (source or Path(path).name)[:200]
            category_id = writer.next_id("registry_personcategory")
            writer.write(
                "registry_personcategory",
                ["id", "person_id", "category_id", "detail", "start_date", "end_date",
                 "source", "recorded_by_id", "recorded_at"],
                as_stored(
                    (category_id + i, person, category.pk, "", start, None, label, by, now)
                    for i, person in enumerate(range(first_person, next_person))
                ),
            )  # fmt: skip
        for table in ("registry_person", "registry_household", "registry_personcategory"):
            writer.reset_sequence(table)
        result.households = len(households)
        skipped = result.duplicates_in_register + result.duplicates_in_file
        record(
            request,
            "import",
            municipality,
            user=user,
            summary=f"bulk register import: {result.created} people, {skipped} duplicates skipped",
        )
    if result.created >= ANALYZE_FROM:
        analyze(["registry_person", "registry_household", "registry_personcategory"])
    return result


# ------------------------------------------------------------------ exporting

EXPORT_COLUMNS = [
    ("nr_regjistri", "p.id"), ("njesia", "u.name"), ("emri", "p.first_name"),
    ("mbiemri", "p.last_name"), ("atesia", "p.fathers_name"), ("gjinia", "p.sex"),
    ("datelindja", "p.date_of_birth"),
    ("nr_personal", "p.national_id"), ("adresa", "p.address"), ("telefon", "p.phone"),
    ("familja", "p.household_id"),
]  # fmt: skip
TEXT_COLUMNS = {"u.name", "p.first_name", "p.last_name", "p.fathers_name", "p.address", "p.phone"}


def _export_select(postgres: bool) -> str:
    columns = []
    for _name, expression in EXPORT_COLUMNS:
        if expression in TEXT_COLUMNS:
            # A cell that a spreadsheet would run as a formula is prefixed with ',
            # as socialplan.uploads.safe_cell does for every other export.
            starts = " OR ".join(
                f"{expression} LIKE '{c}%%'" for c in FORMULA_START if c.isprintable()
            )  # noqa: E501
            columns.append(f"CASE WHEN {starts} THEN '''' || {expression} ELSE {expression} END")
        else:
            columns.append(expression)
    return (
        f"SELECT {', '.join(columns)} FROM registry_person p "
        "JOIN territory_administrativeunit u ON u.id = p.unit_id "
        "WHERE p.municipality_id = %s AND p.merged_into_id IS NULL ORDER BY p.id"
    )


class ExportFailed(Exception):
    """The export could not be completed; no file was left at the destination."""


def export_people(*, municipality, destination: Path, user, request=None) -> int:
    """Write the municipality's register as CSV (UTF-8 with BOM) to `destination`.

    Streams: memory stays flat whatever the size. Returns the number of people.
    """
    destination = Path(destination)
    # The replica, when there is one (the heaviest read there is).
    with reporting():
        alias = router.db_for_read(Person)
    database = connections[alias]
    postgres = database.vendor == "postgresql"
    handle, temporary = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
    )
    rows = 0
    try:
        with (
            os.fdopen(handle, "wb") as out,
            transaction.atomic(using=alias),
            database.cursor() as cursor,
        ):
            out.write(codecs.BOM_UTF8 + (",".join(n for n, _e in EXPORT_COLUMNS) + "\r\n").encode())
            select = _export_select(postgres)
            if postgres:
                raw = cursor.cursor
                query = raw.mogrify(select, [municipality.pk])
                with (
                    database.wrap_database_errors,
                    raw.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy,
                ):
                    for chunk in copy:
                        out.write(chunk)
                rows = raw.rowcount
            else:
                text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
                writer = csv.writer(text)
                cursor.execute(select, [municipality.pk])
                while batch := cursor.fetchmany(2000):
                    writer.writerows(batch)
                    rows += len(batch)
                text.detach()
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, destination)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError | DatabaseError):
            reason = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[0]
            raise ExportFailed(
                _("The export stopped (%(error)s); no file was written.") % {"error": reason}
            ) from exc
        raise
    record(request, "export", municipality, user=user, summary=f"register export: {rows} people")
    return rows
