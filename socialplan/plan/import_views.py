"""An action plan in Excel: export any plan; import a workbook as a new plan.

The import reads and checks the whole workbook first and shows what it will
create and every problem (sheet, row, column). The page only makes the cheap
checks (size, rows and cells counted in the raw XML) and queues the reading
(plan/tasks.py); while the worker reads, the page says so and refreshes
itself. Only the checked plan file (not the upload) waits in the session,
under a random key, for a few minutes; confirming writes it in one
transaction, or nothing.
"""

import base64
import secrets
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tasks import TaskResultStatus

from socialplan.accounts.access import MANAGERS, manages_municipality, memberships
from socialplan.accounts.audit import record
from socialplan.territory.models import Municipality
from socialplan.uploads import UploadError, check_size, check_xlsx_size

from .forms import ImportForm
from .loader import write_plan
from .models import Plan
from .schema import PlanFile
from .tasks import read_plan_workbook
from .xlsx import ACTION_SHEET, Problem, export_plan, summarise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_PREFIX = "plan_import:"
# A workbook being read: the task's id, known only to the session that uploaded it.
READING_PREFIX = "plan_reading:"
PREVIEW_SECONDS = 20 * 60


@require_GET
def export_xlsx(request, slug):
    plan = get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)
    response = HttpResponse(export_plan(plan), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}.xlsx"'
    return response


def _importer_municipalities(user):
    """The municipalities this user may import a plan for; 403 if none."""
    if user.is_superuser:
        municipalities = list(Municipality.objects.all())
    else:
        ids = {m.municipality_id for m in memberships(user) if m.role in MANAGERS}
        municipalities = list(Municipality.objects.filter(pk__in=ids))
    if not municipalities:
        raise PermissionDenied
    return municipalities


def _form(municipalities, data=None, files=None, **kwargs):
    queryset = Municipality.objects.filter(pk__in=[m.pk for m in municipalities])
    return ImportForm(data, files, municipalities=queryset, **kwargs)


@login_required
@require_GET
def import_form(request):
    form = _form(_importer_municipalities(request.user))
    return render(request, "plan/import_form.html", {"form": form})


def _keep(request, parsed: PlanFile, municipality, source: str) -> str:
    """Keep the checked plan in the session for a while; the key goes in the confirm form."""
    now = time.time()
    for name in [k for k in request.session.keys() if k.startswith(SESSION_PREFIX)]:
        if request.session[name]["expires"] < now:
            del request.session[name]
    key = secrets.token_urlsafe(16)
    request.session[SESSION_PREFIX + key] = {
        "plan": parsed.model_dump(mode="json"),
        "municipality": municipality.pk,
        "source": source,
        "expires": now + PREVIEW_SECONDS,
    }
    return key


@login_required
@require_POST
def import_preview(request):
    municipalities = _importer_municipalities(request.user)
    form = _form(municipalities, request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "plan/import_form.html", {"form": form})
    upload = form.cleaned_data["file"]
    try:
        check_size(upload)
        data = upload.read()
        check_xlsx_size(data)  # rows and cells counted before anything is parsed
    except UploadError as exc:
        form.add_error("file", str(exc))
        return render(request, "plan/import_form.html", {"form": form})
    municipality = form.cleaned_data["municipality"]
    reading = {
        "municipality": municipality.pk,
        "slug": form.cleaned_data["slug"],
        "title": form.cleaned_data["title"],
        "source": (upload.name or "")[:200],
        "expires": time.time() + PREVIEW_SECONDS,
    }
    result = read_plan_workbook.enqueue(
        base64.b64encode(data).decode("ascii"),
        municipality_code=municipality.code,
        municipality_name=municipality.name,
        slug=reading["slug"],
        title=reading["title"],
        source=reading["source"],
        language=translation.get_language(),
    )
    if result.is_finished:  # a backend that runs tasks at once (the tests')
        return _show(request, reading, result)
    request.session[READING_PREFIX + result.id] = reading
    return redirect("plan:import_reading", result_id=result.id)


@login_required
@require_GET
def import_reading(request, result_id):
    _importer_municipalities(request.user)
    reading = request.session.get(READING_PREFIX + result_id)
    if reading is None or reading["expires"] < time.time():
        messages.error(
            request,
            _("This preview has expired or was already imported: upload the workbook again."),
        )
        return redirect("plan:import")
    result = read_plan_workbook.get_result(result_id)
    if result.is_finished:
        del request.session[READING_PREFIX + result_id]
    return _show(request, reading, result)


def _show(request, reading: dict, result):
    """The page for a reading task: still reading, refused, or the preview."""
    if not result.is_finished:
        response = render(request, "plan/import_reading.html", {"source": reading["source"]})
        response["Refresh"] = "2"  # the browser asks again until the worker is done
        return response
    municipality = get_object_or_404(Municipality, pk=reading["municipality"])
    value = result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None
    if value is None or "error" in value:
        form = _form(
            _importer_municipalities(request.user),
            initial={k: reading[k] for k in ("slug", "title")} | {"municipality": municipality},
        )
        form.add_error(
            None, value["error"] if value else _("The workbook could not be read; try again.")
        )
        return render(request, "plan/import_form.html", {"form": form})
    problems = [Problem(**p) for p in value["problems"]]
    context = {
        "municipality": municipality,
        "title": reading["title"],
        "slug": reading["slug"],
        "source": reading["source"],
        "rows_read": value["rows_read"],
        "sheet_count": value["sheet_count"],
        "problems": problems,
        "action_sheet": ACTION_SHEET,
    }
    if value["plan"] is not None:
        parsed = PlanFile.model_validate(value["plan"])
        context["summary"] = summarise(parsed)
        context["key"] = _keep(request, parsed, municipality, reading["source"])
    return render(request, "plan/import_preview.html", context)


@login_required
@require_POST
def import_confirm(request):
    _importer_municipalities(request.user)
    key = request.POST.get("key", "")
    stored = request.session.pop(SESSION_PREFIX + key, None) if key else None
    if stored is None or stored["expires"] < time.time():
        messages.error(
            request,
            _("This preview has expired or was already imported: upload the workbook again."),
        )
        return redirect("plan:import")
    municipality = get_object_or_404(Municipality, pk=stored["municipality"])
    if not manages_municipality(request.user, municipality.pk):
        raise PermissionDenied
    parsed = PlanFile.model_validate(stored["plan"])
    try:
        with transaction.atomic():
            if Plan.objects.filter(slug=parsed.plan.slug).exists():
                raise IntegrityError(parsed.plan.slug)
            plan = write_plan(parsed)
            record(
                request,
                "import",
                plan,
                summary=f"plan imported from {stored['source']}"[:300],
            )
    except IntegrityError:
        messages.error(
            request,
            _("A plan with the address “%(slug)s” exists already: nothing was imported.")
            % {"slug": parsed.plan.slug},
        )
        return redirect("plan:import")
    messages.success(request, _("The plan was imported."))
    return redirect(plan)
