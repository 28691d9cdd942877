"""Checking an evidence file with the parser of its kind before it is kept.

The first bytes of a file say little: a PDF or a PNG may carry an HTML page
(a polyglot) that a browser, or a tool that sniffs content, runs as a page of
this site. So each upload is opened with its real parser (pypdf, Pillow, the
zip reader of an Office file) and refused if it does not parse, if anything
comes before or after the document, or if it carries HTML or script. Images
are re-encoded: what is kept is the picture only, without appended data or
metadata (a phone's photo carries the place it was taken).
"""

import io
import re
import struct
import zipfile

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

# Markers of a web page or script; none belongs in a document kept as evidence.
ACTIVE_CONTENT = re.compile(
    rb"<\s*(?:html|script|body|iframe|object|embed|svg|meta|!doctype)\b|javascript:",
    re.IGNORECASE,
)
# What a PDF may not ask a reader to do on its own.
PDF_ACTIONS = ("/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFiles")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# An image this large (in pixels) is refused before it is decoded: a small file
# can declare a huge picture.
MAX_PIXELS = 40_000_000
OFFICE_PARTS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
# Where markers of a page are looked for: the start of every file (what a browser
# sniffs), the end of an image or Office file (where a polyglot appends its page), and
# the whole of a PDF outside its streams. Compressed data is random bytes: searched
# in full, a large photo or PDF would now and then hold "<svg " or "/JS " by chance.
HEAD, TAIL = 1024, 64 * 1024
PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
MAX_OFFICE_UNCOMPRESSED = 100 * 1024 * 1024


class Refused(ValueError):
    """The file is not what it says, or carries something it should not; the message says why."""


def _check_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    if not data.startswith(b"%PDF-"):
        raise Refused(_("The PDF has something before its start."))
    if not data.rstrip().endswith(b"%%EOF"):
        raise Refused(_("The PDF has something after its end."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise Refused(_("The PDF is encrypted; upload it without a password."))
        if len(reader.pages) < 1:
            raise Refused(_("The PDF has no page."))
        for page in reader.pages:
            page.mediabox  # noqa: B018 - each page must be readable
            if "/AA" in page:
                raise Refused(_("The PDF contains scripts or actions; save it again without them."))
        catalog = reader.trailer["/Root"]
        names = catalog.get("/Names")
        names = names.get_object() if isinstance(names, IndirectObject) else names
    except Refused:
        raise
    except Exception as exc:  # pypdf raises many kinds for a damaged or forged file
        raise Refused(_("The PDF cannot be read.")) from exc
    if any(key in catalog for key in PDF_ACTIONS) or (
        names is not None and any(key in names for key in PDF_ACTIONS)
    ):
        raise Refused(_("The PDF contains scripts or actions; save it again without them."))
    # This catches them in any other object written plainly (outside the streams, whose
    # compressed bytes could hold "/JS" by chance).
    if re.search(rb"/(?:JavaScript|JS|Launch)\b", PDF_STREAM.sub(b"", data)):
        raise Refused(_("The PDF contains scripts or actions; save it again without them."))
    return data


def _png_end(data: bytes) -> int:
    """Where a PNG's IEND chunk ends, walking its chunks; a broken chain is refused."""
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position
    raise Refused(_("The image cannot be read."))


def _check_image(data: bytes, suffix: str) -> bytes:
    from PIL import Image, ImageOps

    expected = "PNG" if suffix == ".png" else "JPEG"
    if expected == "PNG" and _png_end(data) != len(data):
        raise Refused(_("The image has something after its end."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise Refused(_("The file's content is not the image its name says."))
            if image.width * image.height > MAX_PIXELS:
                raise Refused(_("The image is too large."))
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = ImageOps.exif_transpose(image)
            if expected == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            out = io.BytesIO()
            # Only the pixels are kept: no metadata, no comment, nothing appended.
            picture.save(out, format=expected, **({"quality": 90} if expected == "JPEG" else {}))
    except Refused:
        raise
    except Exception as exc:  # Pillow raises many kinds for a damaged or forged image
        raise Refused(_("The image cannot be read.")) from exc
    return out.getvalue()


def _check_office(data: bytes, suffix: str) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise Refused(_("The file cannot be read as a Word or Excel document.")) from exc
    names = {m.filename for m in members}
    if (
        not members
        or members[0].header_offset != 0
        or "[Content_Types].xml" not in names
        or OFFICE_PARTS[suffix] not in names
    ):
        raise Refused(_("The file cannot be read as a Word or Excel document."))
    if sum(m.file_size for m in members) > MAX_OFFICE_UNCOMPRESSED:
        raise Refused(_("The document would expand too much: refused."))
    if any(name.lower().endswith((".bin", ".js", ".html", ".htm")) for name in names):
        raise Refused(_("The document contains macros or other programs; save it without them."))
    return data


def _has_active_content(data: bytes, suffix: str) -> bool:
    if ACTIVE_CONTENT.search(data[:HEAD]):
        return True
    rest = PDF_STREAM.sub(b"", data) if suffix == ".pdf" else data[-TAIL:]
    return bool(ACTIVE_CONTENT.search(rest))


def check_evidence(upload, suffix: str) -> ContentFile:
    """The file to keep for an upload claiming to be `suffix`, or Refused saying why."""
    data = upload.read()
    upload.seek(0)
    if _has_active_content(data, suffix):
        raise Refused(_("The file contains a web page or a script; it is not accepted."))
    if suffix == ".pdf":
        kept = _check_pdf(data)
    elif suffix in (".png", ".jpg", ".jpeg"):
        kept = _check_image(data, suffix)
    elif suffix in OFFICE_PARTS:
        kept = _check_office(data, suffix)
    else:
        raise Refused(_("Only PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) files are accepted."))
    return ContentFile(kept, name=upload.name)
