"""Pages of the annual monitoring report: the staff preview (live figures) and publishing,
and the public permalinks of published versions (frozen bytes, never recomputed)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialplan.accounts.access import manages_municipality
from socialplan.dbrouting import reporting
from socialplan.plan.models import Plan

from . import annual
from .models import AnnualReport
from .reports import annual_report

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _plan(slug) -> Plan:
    return get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)


def _managed_plan(user, slug, year) -> Plan:
    """The plan, if this user manages its municipality (director, planner): 403 otherwise."""
    plan = _plan(slug)
    if not manages_municipality(user, plan.municipality_id):
        raise PermissionDenied
    if year not in plan.years:
        raise Http404
    return plan


def _published(slug, year, version) -> AnnualReport:
    return get_object_or_404(
        AnnualReport.objects.select_related("plan"), plan__slug=slug, year=year, version=version
    )


def _download(content, content_type, filename) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The preview reads a year of reports, indicators and spending and writes
# nothing: the replica may serve it. Publishing (annual.publish) writes and
# stays on the primary.
@reporting()
def _preview_snapshot(plan, year) -> dict:
    # In the language the reader chose: a preview may be read in English.
    return annual.snapshot(annual_report(plan, year))


@login_required
def annual_preview(request, slug, year):
    plan = _managed_plan(request.user, slug, year)
    snap = _preview_snapshot(plan, year)
    published = AnnualReport.objects.filter(plan=plan, year=year).order_by("-version")
    return render(
        request,
        "monitoring/annual_preview.html",
        {
            "plan": plan,
            "year": year,
            "report_html": annual.render_html(snap),
            "published": published.select_related("plan").only(
                "plan__slug", "year", "version", "published_at"
            ),
            "languages": settings.LANGUAGES,
        },
    )


@login_required
def annual_preview_pdf(request, slug, year):
    plan = _managed_plan(request.user, slug, year)
    pdf = annual.render_pdf(_preview_snapshot(plan, year))
    return _download(pdf, PDF, f"{plan.slug}-{year}-preview.pdf")


@login_required
def annual_preview_docx(request, slug, year):
    plan = _managed_plan(request.user, slug, year)
    docx = annual.render_docx(_preview_snapshot(plan, year))
    return _download(docx, DOCX, f"{plan.slug}-{year}-preview.docx")


@login_required
@require_POST
def annual_publish(request, slug, year):
    plan = _managed_plan(request.user, slug, year)
    language = request.POST.get("language") or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    report = annual.publish(
        request=request, plan=plan, year=year, by=request.user, language=language
    )
    messages.success(
        request,
        _("Version %(v)s of the %(y)s report is published; it will not change.")
        % {"v": report.version, "y": year},
    )
    return redirect(report)


def published(request, slug, year, version):
    report = _published(slug, year, version)
    latest = (
        AnnualReport.objects.filter(plan=report.plan, year=year)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return render(
        request,
        "monitoring/annual_published.html",
        {
            "report": report,
            "plan": report.plan,
            "latest": latest,
            # The frozen page was written in the language it was published in.
            "report_language": report.snapshot.get("language", translation.get_language()),
        },
    )


def published_pdf(request, slug, year, version):
    report = _published(slug, year, version)
    return _download(report.pdf, PDF, f"{slug}-{year}-v{version}.pdf")


def published_docx(request, slug, year, version):
    report = _published(slug, year, version)
    return _download(report.docx, DOCX, f"{slug}-{year}-v{version}.docx")


def published_list(request, slug):
    plan = _plan(slug)
    reports = (
        AnnualReport.objects.filter(plan=plan)
        .select_related("plan")
        .only("plan__slug", "year", "version", "published_at")
        .order_by("-year", "-version")
    )
    return render(
        request,
        "monitoring/annual_published_list.html",
        {
            "plan": plan,
            "reports": reports,
            "manages": manages_municipality(request.user, plan.municipality_id),
        },
    )
