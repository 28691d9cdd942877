"""Reading uploaded spreadsheets safely, and writing cells that stay data.

Every upload goes through here: the size is checked before anything is
parsed; an XLSX is opened only after its zip directory has been checked for
decompression bombs and its sheets' rows and cells have been counted from the
raw XML (cheap, in chunks, without trusting the workbook's own <dimension>);
a CSV is decoded in the encoding the user chose (UTF-8 unless told otherwise)
and refused, naming the first bad line, if it is not that encoding: it is
never guessed; and a cell written to an export can never become a formula.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# An XLSX is a zip: its members may not inflate past this, nor by more than this ratio.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_XLSX_RATIO = 100
MAX_XLSX_MEMBERS = 2000
# A sheet read on the pages: openpyxl needs some 60 µs of CPU per cell, so this
# many cells is a few seconds of a background worker, never minutes. Larger
# lists go through `manage.py import_people` (registry/bulk.py).
MAX_ROWS = 20_000
MAX_CELLS = 250_000
# The encodings a user may say a CSV is in (UTF-16 is recognised by its BOM).
CSV_ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("cp1250", "Windows-1250"),
    ("cp1252", "Windows-1252"),
    ("iso-8859-2", "ISO-8859-2"),
]
# Excel and LibreOffice read a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UploadError(Exception):
    """The file cannot be read; the message says why, in the user's language."""


@dataclass
class Sheet:
    name: str
    rows: list[list[str]]  # every cell as text, stripped; "" for empty


def safe_cell(value):
    """A value for an exported cell: text that would start a formula is prefixed with '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def check_size(upload, limit: int = MAX_UPLOAD_BYTES) -> None:
    if upload.size is not None and upload.size > limit:
        raise UploadError(
            _("The file is %(size)s MB; at most %(limit)s MB are accepted.")
            % {"size": round(upload.size / 1e6, 1), "limit": round(limit / 1e6)}
        )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def decode_csv(raw: bytes, encoding: str = "utf-8") -> str:
    """The text of a CSV in the encoding the user named; refused, never guessed, if it is not.

    A UTF-16 file says so with its byte-order mark; anything else is read as
    `encoding` (UTF-8 by default, with or without BOM). Reading Windows-1250 bytes
    as UTF-8 fails loudly; the opposite would store mojibake without a word.
    """
    if encoding not in dict(CSV_ENCODINGS):
        raise UploadError(_("Unknown encoding: %(e)s.") % {"e": encoding})
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif encoding == "utf-8":
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UploadError(
            _(
                "Line %(line)s of the file is not %(encoding)s text. If the file was saved by "
                "an older program, choose its encoding (for example Windows-1250) and upload "
                "it again."
            )
            % {
                "line": line,
                "encoding": dict(CSV_ENCODINGS).get(encoding.split("-sig")[0], encoding),
            }
        ) from exc
    if "\x00" in text:
        raise UploadError(_("The file is not a CSV text file."))
    return text


def read_csv(upload, encoding: str = "utf-8") -> Sheet:
    """A CSV in the given encoding (or UTF-16 with a BOM); ; , or tab separated."""
    check_size(upload)
    text = decode_csv(upload.read(), encoding)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text), dialect):
        rows.append([_text(cell) for cell in row])
        if len(rows) > MAX_ROWS:
            raise UploadError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    return Sheet(getattr(upload, "name", "csv"), rows)


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a file that is not a zip, or whose members would inflate too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadError(_("The file is not an Excel workbook (.xlsx).")) from exc
    members = archive.infolist()
    if len(members) > MAX_XLSX_MEMBERS:
        raise UploadError(_("The workbook has too many parts to be a spreadsheet."))
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        raise UploadError(
            _("The workbook would expand to %(mb)s MB: refused as a possible decompression bomb.")
            % {"mb": round(total / 1e6)}
        )
    if "[Content_Types].xml" not in archive.namelist():
        raise UploadError(_("The file is not an Excel workbook (.xlsx)."))


# Start tags of rows and cells in sheet XML, with or without a namespace prefix
# (<row r="1">, <x:c r="A1" t="s">, <c/>); not <rowBreaks>, <col>, <cfRule>.
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
CHUNK = 1024 * 1024


def _count_tags(member, pattern, limit: int, too_many: str) -> int:
    """Count `pattern` in a zip member read in chunks; stop as soon as `limit` is passed."""
    count, carry = 0, b""
    while chunk := member.read(CHUNK):
        buffer = carry + chunk
        # A tag that straddles two chunks is counted once: in the buffer that completes it.
        count += sum(1 for m in pattern.finditer(buffer) if m.end() > len(carry))
        if count > limit:
            raise UploadError(too_many)
        carry = buffer[-64:]
    return count


def check_xlsx_size(
    data: bytes, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS
) -> tuple[int, int]:
    """Refuse a workbook with too many rows or cells, counted in its XML before any parsing.

    The workbook's own <dimension> is not trusted (it is whatever the writer
    says). Returns the numbers of rows and cells (of all sheets).
    """
    check_xlsx_archive(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    too_many_rows = _("The workbook has more than %(n)s rows; at most %(n)s are read here.") % {
        "n": max_rows
    }
    too_many_cells = _(
        "The workbook has more than %(n)s cells; at most %(n)s are read here. Split the list, "
        "or ask an administrator to import it with the command for large lists."
    ) % {"n": max_cells}
    rows = cells = 0
    for info in archive.infolist():
        name = info.filename.lower()
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            with archive.open(info) as member:
                rows += _count_tags(member, ROW_TAG, max_rows - rows, too_many_rows)
            with archive.open(info) as member:
                cells += _count_tags(member, CELL_TAG, max_cells - cells, too_many_cells)
        elif name == "xl/sharedstrings.xml":
            with archive.open(info) as member:
                _count_tags(member, STRING_TAG, max_cells, too_many_cells)
    return rows, cells


def read_xlsx(upload) -> list[Sheet]:
    """Every sheet of a workbook as text rows (values, not formulas)."""
    from openpyxl import load_workbook

    check_size(upload)
    data = upload.read()
    check_xlsx_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UploadError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from exc
    sheets = []
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_text(v) for v in row])
            if len(rows) > MAX_ROWS:
                raise UploadError(
                    _("The sheet %(name)s has more than %(n)s rows.")
                    % {"name": sheet.title, "n": MAX_ROWS}
                )
        while rows and not any(rows[-1]):
            rows.pop()
        sheets.append(Sheet(sheet.title, rows))
    book.close()
    return sheets


def is_xlsx(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def check_table(upload, encoding: str = "utf-8") -> bytes:
    """The cheap checks a page makes before handing a list to the background reader.

    Size, then for a workbook its zip directory and its rows and cells counted
    in the raw XML, for a CSV its encoding; and at least one row below the
    header. Each refusal is immediate and says why. Returns the file's bytes.
    """
    check_size(upload)
    data = upload.read()
    if is_xlsx(data):
        rows, _cells = check_xlsx_size(data)
    else:
        rows = decode_csv(data, encoding).strip().count("\n") + 1
    if rows < 2:
        raise UploadError(_("The file has a header row but no rows below it."))
    return data


def read_table(upload, encoding: str = "utf-8") -> Sheet:
    """The first sheet of an .xlsx, or a .csv, chosen by the file's content."""
    head = upload.read(4)
    upload.seek(0)
    if is_xlsx(head):
        sheets = read_xlsx(upload)
        if not sheets:
            raise UploadError(_("The workbook has no sheet."))
        return sheets[0]
    return read_csv(upload, encoding)
