"""The field teams' list as a printable PDF and an Excel workbook."""

import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from socialplan.uploads import safe_cell


def _columns():
    return [_("Name"), _("Date of birth"), _("Address"), _("Phone"), _("Why listed"), _("Needs")]


def _values(row):
    person = row.person
    return [
        f"{person.first_name} {person.last_name}",
        person.date_of_birth.strftime("%d/%m/%Y"),
        row.address,
        person.phone,
        "; ".join(row.reasons),
        "; ".join(row.needs),
    ]


def list_xlsx(event, unit, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = unit.name[:31]
    sheet.append([safe_cell(f"{event.title}: {unit.name}")])
    sheet["A1"].font = Font(bold=True)
    sheet.append([_("Generated"), timezone.localtime().strftime("%d/%m/%Y %H:%M")])
    sheet.append([_("Confidential: personal data for the emergency teams only.")])
    sheet.append([])
    sheet.append(_columns())
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in _values(row)])
    for column, width in zip("ABCDEF", (28, 14, 36, 16, 40, 30), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def list_pdf(event, unit, rows) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "emergency/list_print.html",
        {
            "event": event,
            "unit": unit,
            "rows": [(_values(r), r) for r in rows],
            "columns": _columns(),
            "generated": timezone.localtime(),
        },
    )
    # No file or network access while rendering: everything is in the HTML.
    return HTML(string=html, url_fetcher=_refuse).write_pdf()


def _refuse(url, *args, **kwargs):
    raise ValueError(f"no external resources in emergency lists: {url}")
