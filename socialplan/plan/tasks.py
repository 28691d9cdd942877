"""Reading an uploaded plan workbook in the background.

The page checks the size and counts the workbook's rows and cells in its raw
XML (socialplan.uploads), then queues this task: parsing a large workbook is
seconds of CPU that must not hold a web worker. The result (the checked plan
as JSON and every problem) is the task's return value; the page that started
it shows it, the checked plan then waits in the session for the confirm as
before. A plan workbook holds no personal data.
"""

import base64
import dataclasses

from django.core.files.base import ContentFile
from django.utils import translation
from django_tasks import task

from socialplan.uploads import UploadError, read_xlsx

from .xlsx import parse_workbook


@task()
def read_plan_workbook(
    data: str, *, municipality_code: str, municipality_name: str, slug: str, title: str,
    source: str, language: str,
) -> dict:  # fmt: skip
    """`data` is the workbook in base64 (task arguments are JSON)."""
    with translation.override(language):
        try:
            sheets = read_xlsx(ContentFile(base64.b64decode(data), name=source))
        except UploadError as exc:
            return {"error": str(exc)}
        parsed, problems = parse_workbook(
            sheets,
            municipality_code=municipality_code,
            municipality_name=municipality_name,
            slug=slug,
            title=title,
            source=source,
        )
        return {
            "plan": parsed.model_dump(mode="json") if parsed is not None else None,
            "problems": [{**dataclasses.asdict(p), "message": str(p.message)} for p in problems],
            "rows_read": sum(len(s.rows) for s in sheets),
            "sheet_count": len(sheets),
        }
