"""An action plan in Excel: export any plan; import a workbook as a new plan.

The import reads and checks the whole workbook first and shows what it will
create and every problem (sheet, row, column). Only the checked plan file
(not the upload) waits in the session, under a random key, for a few
minutes; confirming writes it in one transaction, or nothing.
"""

import secrets
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from socialplan.accounts.access import MANAGERS, manages_municipality, memberships
from socialplan.accounts.audit import record
from socialplan.territory.models import Municipality
from socialplan.uploads import UploadError, read_xlsx

from .forms import ImportForm
from .loader import write_plan
from .models import Plan
from .schema import PlanFile
from .xlsx import ACTION_SHEET, export_plan, parse_workbook, summarise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_PREFIX = "plan_import:"
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


def _form(municipalities, data=None, files=None):
    queryset = Municipality.objects.filter(pk__in=[m.pk for m in municipalities])
    return ImportForm(data, files, municipalities=queryset)


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
        sheets = read_xlsx(upload)
    except UploadError as exc:
        form.add_error("file", str(exc))
        return render(request, "plan/import_form.html", {"form": form})
    municipality = form.cleaned_data["municipality"]
    source = (upload.name or "")[:200]
    parsed, problems = parse_workbook(
        sheets,
        municipality_code=municipality.code,
        municipality_name=municipality.name,
        slug=form.cleaned_data["slug"],
        title=form.cleaned_data["title"],
        source=source,
    )
    context = {
        "form": form,
        "municipality": municipality,
        "source": source,
        "rows_read": sum(len(s.rows) for s in sheets),
        "sheet_count": len(sheets),
        "problems": problems,
        "action_sheet": ACTION_SHEET,
    }
    if parsed is not None:
        context["summary"] = summarise(parsed)
        context["key"] = _keep(request, parsed, municipality, source)
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
