"""Reading uploaded spreadsheets safely, and writing cells that stay data.

Every upload goes through here: the size is checked before anything is
parsed, an XLSX is opened only after its zip directory has been checked for
decompression bombs, a CSV is decoded whatever its encoding or BOM, and a
cell written to an export can never become a formula.
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# An XLSX is a zip: its members may not inflate past this, nor by more than this ratio.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_XLSX_RATIO = 100
MAX_XLSX_MEMBERS = 2000
MAX_ROWS = 200_000
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


def read_csv(upload) -> Sheet:
    """A CSV in UTF-8 (with or without BOM), UTF-16, or Windows-1250/1252; ; or , separated."""
    check_size(upload)
    raw = upload.read()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        for encoding in ("utf-8-sig", "cp1250", "cp1252"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - cp1252 decodes almost anything
            raise UploadError(_("The file is not text in a known encoding."))
    if "\x00" in text:
        raise UploadError(_("The file is not a CSV text file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[_text(cell) for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
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


def read_xlsx(upload) -> list[Sheet]:
    """Every sheet of a workbook as text rows (values, not formulas)."""
    from openpyxl import load_workbook

    check_size(upload)
    data = upload.read()
    check_xlsx_archive(data)
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


def read_table(upload) -> Sheet:
    """The first sheet of an .xlsx, or a .csv, chosen by the file's content."""
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04"):
        sheets = read_xlsx(upload)
        if not sheets:
            raise UploadError(_("The workbook has no sheet."))
        return sheets[0]
    return read_csv(upload)
