"""The annual monitoring report: contents, PDF with real text, DOCX (python-docx and
LibreOffice), frozen published versions, version numbers and who may do what.

The year of progress is synthetic: approved progress reports, actuals and spending made
with the ORM on the loaded Durrës plan."""

import datetime
import io
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from socialplan.accounts.models import AuditEvent, Membership
from socialplan.directory.models import Organisation
from socialplan.monitoring import annual
from socialplan.monitoring.models import (
    AnnualReport,
    Consultation,
    ProgressReport,
    Recommendation,
    Spending,
    TargetActual,
)
from socialplan.monitoring.reports import annual_report
from socialplan.plan.models import Activity, BudgetLine, FundingSource
from socialplan.territory.models import AdministrativeUnit, Municipality

YEAR = 2026
NNBSP = "\u202f"
DONOR_SPENT = 1_234_567
MUNICIPAL_SPENT = 25_000
RECOMMENDATION = "Shtoni transport falas për personat me aftësi të kufizuara në Sukth."
REJECTED = "Ndërtoni një qendër të re ditore në çdo njësi."


def lek(number: int) -> str:
    return f"{number:,}".replace(",", NNBSP)


def _member(django_user_model, username, role, *, organisation=None):
    user = django_user_model.objects.create_user(username, password="not-a-real-password")
    Membership.objects.create(
        user=user,
        municipality=Municipality.objects.get(code="durres"),
        role=role,
        organisation=organisation,
    )
    return user


@pytest.fixture
def director(django_user_model, durres_plan):
    """Arta, director of social services in Durrës (synthetic)."""
    return _member(django_user_model, "arta.drejtore", "director")


@pytest.fixture
def planner(django_user_model, durres_plan):
    """Olti, planning and monitoring officer."""
    return _member(django_user_model, "olti.planifikues", "planner")


@pytest.fixture
def provider(django_user_model, durres_plan):
    """Drita, staff of an NGO that runs services: reports progress, never publishes."""
    organisation = Organisation.objects.filter(municipality__code="durres").order_by("pk").first()
    return _member(django_user_model, "drita.ofruese", "provider", organisation=organisation)


@pytest.fixture
def year_of_progress(durres_plan, director, planner):
    """2026 in Durrës: one activity done, one delayed, an indicator reported, spending from
    the municipality and a donor, a focus group with two recommendations."""
    plan = durres_plan
    in_plan = Activity.objects.filter(measure__objective__priority__plan=plan)
    done = in_plan.get(measure__objective__priority__number=1, code="A 1.3", parent=None)
    trained = in_plan.get(measure__objective__priority__number=1, code="A 1.2.2")
    target = trained.targets.get(position=1)  # "20 persona ne vit marrin pjese ne trajnim"
    donor_line = (
        BudgetLine.objects.filter(
            activity__measure__objective__priority__plan=plan, source=FundingSource.DONOR
        )
        .order_by("pk")
        .first()
    )
    delayed = (
        in_plan.filter(children=None, start_year__lte=YEAR, end_year__gte=YEAR)
        .exclude(pk__in=[done.pk, donor_line.activity_id])
        .order_by("measure__objective__priority__number", "measure__objective__position", "pk")
        .first()
    )

    def approved(activity, status, narrative):
        return ProgressReport.objects.create(
            plan=plan,
            activity=activity,
            year=YEAR,
            status=status,
            narrative=narrative,
            state=ProgressReport.State.APPROVED,
            created_by=planner,
            submitted_by=planner,
            approved_by=director,
        )

    done_report = approved(done, "done", "Kalendari vjetor i trajnimit u miratua në shkurt.")
    Spending.objects.create(
        report=done_report, budget_line=done.budget_lines.get(), amount=MUNICIPAL_SPENT
    )
    actual = TargetActual.objects.create(
        report=approved(trained, "on_track", "Tre trajnime deri në qershor."),
        target=target,
        value=Decimal("17"),
    )
    approved(delayed, "delayed", "Mungon stafi.")
    Spending.objects.create(
        report=approved(donor_line.activity, "on_track", "Donatori financoi fazën e parë."),
        budget_line=donor_line,
        amount=DONOR_SPENT,
    )
    # A draft says nothing in the report.
    ProgressReport.objects.create(
        plan=plan, activity=donor_line.activity, year=YEAR, status="done", created_by=planner,
        unit=AdministrativeUnit.objects.get(municipality=plan.municipality, code="sukth"),
    )  # fmt: skip
    consultation = Consultation.objects.create(
        plan=plan,
        date=datetime.date(YEAR, 3, 10),
        kind=Consultation.Kind.FOCUS_GROUP,
        unit=AdministrativeUnit.objects.get(municipality=plan.municipality, code="sukth"),
        participants={"persona me aftësi të kufizuara": 6, "OJF": 3, "prindër": 2},
        notes="Takim në qendrën komunitare.",
        recorded_by=planner,
    )
    Recommendation.objects.create(
        consultation=consultation,
        text=RECOMMENDATION,
        decision=Recommendation.Decision.ACCEPTED,
        justification="U përfshi në rishikimin e planit.",
        activity=done,
    )
    Recommendation.objects.create(
        consultation=consultation,
        text=REJECTED,
        decision=Recommendation.Decision.REJECTED,
        justification="Nuk ka fond për 11 qendra.",
    )
    return {
        "plan": plan,
        "done": done,
        "delayed": delayed,
        "target": target,
        "actual": actual,
        "donor_line": donor_line,
    }


def _snapshot(plan, language="sq"):
    with translation.override(language):
        return annual.snapshot(annual_report(plan, YEAR))


def _flat(text: str) -> str:
    """Text with every kind of space as one plain space (PDF extraction varies)."""
    return re.sub(r"[\s\u202f\u00a0]+", " ", text)


def _docx_text(content: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _article(html: str) -> str:
    start = html.index('<article class="annual-report"')
    return html[start : html.index("</article>", start)]


def test_snapshot_is_plain_json_and_renders_alone(year_of_progress):
    snap = _snapshot(year_of_progress["plan"])
    again = json.loads(json.dumps(snap))
    assert again == snap
    # Rendered from the JSON alone, the same as from the fresh snapshot.
    assert annual.render_html(again) == annual.render_html(snap)
    assert snap["summary"]["done"] == 1 and snap["summary"]["delayed"] == 1
    assert snap["budget"]["spent_total"] == DONOR_SPENT + MUNICIPAL_SPENT
    # Each measure lists exactly the activities its counts are made of.
    for priority in snap["priorities"]:
        for measure in priority["measures"]:
            assert len(measure["items"]) == measure["activities"] == sum(measure["counts"])


def test_report_contents_in_albanian(year_of_progress):
    data = year_of_progress
    html = annual.render_html(_snapshot(data["plan"]))

    # Progress: the activity done carries its status, in Albanian.
    done = data["done"]
    row = re.search(
        r'<tr class="status-done">\s*<td>' + re.escape(escape(f"A 1.3 {done.title}")), html
    )
    assert row, "the done activity's row"
    assert "kryer" in html[row.end() : html.index("</tr>", row.end())]
    assert 'class="status-delayed"' in html
    assert "Kalendari vjetor i trajnimit u miratua në shkurt." in html
    # Indicators: the target for the year (20) and the actual (17), 85 % achieved.
    indicator = html[html.index(escape(data["target"].text)) :]
    indicator = indicator[: indicator.index("</tr>")]
    assert re.search(r">20<.*>17<.*>85\.0\xa0%<", indicator, re.S), indicator
    # Budget: spent by source.
    assert f'<td class="num">{lek(MUNICIPAL_SPENT)}</td>' in html
    assert f'<td class="num">{lek(DONOR_SPENT)}</td>' in html
    assert lek(DONOR_SPENT + MUNICIPAL_SPENT) in html
    # Consultations: the recommendation, its decision and justification; small groups hidden.
    recommendation = html[html.index(escape(RECOMMENDATION)) :]
    recommendation = recommendation[: recommendation.index("</tr>")]
    assert "pranuar" in recommendation
    assert "U përfshi në rishikimin e planit." in recommendation
    assert escape(REJECTED) in html
    assert "OJF: &lt;5" in html and "persona me aftësi të kufizuara: 6" in html
    # Two charts, each with its title for screen readers.
    assert html.count("<svg") == 2
    # Albanian headings, gaps and recommendations.
    assert "Përmbledhja" in html
    assert "Aktivitete pa raport të miratuar për 2026" in html


def test_report_in_english(year_of_progress):
    html = annual.render_html(_snapshot(year_of_progress["plan"], "en"))
    assert "Annual monitoring report 2026" in html
    assert "Budget execution by funding source" in html
    assert ">done<" in html


def test_pdf_has_real_text(year_of_progress):
    from pypdf import PdfReader

    plan = year_of_progress["plan"]
    pdf = annual.render_pdf(_snapshot(plan))
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = _flat("\n".join(page.extract_text() for page in reader.pages))
    assert plan.title in text
    assert "Raporti vjetor i monitorimit 2026" in text
    assert "1 234 567" in text or "1234567" in text
    assert RECOMMENDATION[:40] in text


def test_docx_has_the_same_figures_and_charts(year_of_progress):
    from docx import Document

    data = year_of_progress
    content = annual.render_docx(_snapshot(data["plan"]))
    text = _docx_text(content)
    assert data["plan"].title in text
    assert f"A 1.3 {data['done'].title}" in text
    assert "kryer" in text
    assert data["target"].text in text
    assert lek(DONOR_SPENT) in text and lek(MUNICIPAL_SPENT) in text
    assert RECOMMENDATION in text and "pranuar" in text
    # Both charts, as pictures.
    assert len(Document(io.BytesIO(content)).inline_shapes) == 2


def test_docx_opens_in_libreoffice(year_of_progress, tmp_path):
    from pypdf import PdfReader

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs LibreOffice (apt-get install libreoffice-writer-nogui)")
        pytest.skip("LibreOffice (soffice) is not installed")
    plan = year_of_progress["plan"]
    source = tmp_path / "report.docx"
    source.write_bytes(annual.render_docx(_snapshot(plan)))
    # A profile of its own: parallel test processes must not share one.
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "report.pdf"
    assert converted.exists(), result.stderr.decode(errors="replace")
    reader = PdfReader(converted)
    text = _flat("\n".join(page.extract_text() for page in reader.pages))
    assert plan.title in text
    assert "1 234 567" in text or "1234567" in text


def test_published_report_is_frozen(year_of_progress, client, director, verified_login):
    data = year_of_progress
    plan = data["plan"]
    verified_login(client, director)
    response = client.post(reverse("monitoring:annual_publish", args=[plan.slug, YEAR]))
    report = AnnualReport.objects.get(plan=plan, year=YEAR)
    assert response.status_code == 302
    assert response.url == report.get_absolute_url() == f"/monitoring/{plan.slug}/{YEAR}/v1/"
    assert report.version == 1 and report.published_by == director
    assert report.snapshot["publication"]["version"] == 1
    assert AuditEvent.objects.filter(
        action="create", object_type="monitoring.annualreport", object_id=str(report.pk)
    ).exists()

    permalink = report.get_absolute_url()
    page_before = _article(client.get(permalink).content.decode())
    pdf_url = reverse("monitoring:published_pdf", args=[plan.slug, YEAR, 1])
    docx_url = reverse("monitoring:published_docx", args=[plan.slug, YEAR, 1])
    pdf_before = client.get(pdf_url).content
    docx_before = client.get(docx_url).content
    assert pdf_before.startswith(b"%PDF") and bytes(report.pdf) == pdf_before
    assert "Versioni 1" in page_before

    # Later edits: an actual and an activity's title.
    TargetActual.objects.filter(pk=data["actual"].pk).update(value=Decimal("19"))
    Activity.objects.filter(pk=data["done"].pk).update(title="Kalendari i ri i trajnimeve")

    page_after = _article(client.get(permalink).content.decode())
    assert page_after == page_before
    assert client.get(pdf_url).content == pdf_before
    assert client.get(docx_url).content == docx_before
    assert "Kalendari i ri i trajnimeve" not in page_after

    preview = client.get(reverse("monitoring:annual_preview", args=[plan.slug, YEAR]))
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Kalendari i ri i trajnimeve" in text
    indicator = text[text.index(escape(data["target"].text)) :]
    assert re.search(r">20<.*>19<", indicator[: indicator.index("</tr>")], re.S)


def test_versions_increment_and_are_listed(year_of_progress, client, planner, verified_login):
    plan = year_of_progress["plan"]
    verified_login(client, planner)
    url = reverse("monitoring:annual_publish", args=[plan.slug, YEAR])
    client.post(url)
    client.post(url, {"language": "en"})
    versions = list(
        AnnualReport.objects.filter(plan=plan, year=YEAR)
        .order_by("version")
        .values_list("version", "snapshot__language")
    )
    assert versions == [(1, "sq"), (2, "en")]
    assert "Annual monitoring report 2026" in AnnualReport.objects.get(version=2).html
    assert AuditEvent.objects.filter(action="create", user=planner).count() == 2

    listing = client.get(reverse("monitoring:published_list", args=[plan.slug]))
    assert listing.status_code == 200
    for version in (1, 2):
        assert f"/monitoring/{plan.slug}/{YEAR}/v{version}/" in listing.content.decode()


def test_preview_downloads(year_of_progress, client, planner, verified_login):
    plan = year_of_progress["plan"]
    verified_login(client, planner)
    pdf = client.get(reverse("monitoring:annual_preview_pdf", args=[plan.slug, YEAR]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    docx = client.get(reverse("monitoring:annual_preview_docx", args=[plan.slug, YEAR]))
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert "preview.docx" in docx["Content-Disposition"]
    # Nothing is published by a preview.
    assert not AnnualReport.objects.exists()
    # A year outside the plan has no report.
    assert (
        client.get(reverse("monitoring:annual_preview", args=[plan.slug, 2031])).status_code == 404
    )


def test_who_may_preview_and_publish(
    year_of_progress, client, provider, django_user_model, verified_login, director
):
    plan = year_of_progress["plan"]
    preview = reverse("monitoring:annual_preview", args=[plan.slug, YEAR])
    publish = reverse("monitoring:annual_publish", args=[plan.slug, YEAR])

    # Anonymous: sent to log in.
    assert client.get(preview).status_code == 302
    assert client.post(publish).status_code == 302
    # A provider, and a user with no role: 403, and nothing is published.
    nobody = django_user_model.objects.create_user("pa.rol", password="not-a-real-password")
    for user in (provider, nobody):
        verified_login(client, user)
        assert client.get(preview).status_code == 403
        assert client.post(publish).status_code == 403
        assert client.get(preview.replace("/annual/", "/annual/preview.pdf")).status_code == 403
    assert not AnnualReport.objects.exists()
    client.logout()

    report = annual.publish(request=None, plan=plan, year=YEAR, by=director)
    permalink = report.get_absolute_url()
    # The public reads the published report and its files without logging in.
    for url in (
        permalink,
        reverse("monitoring:published_pdf", args=[plan.slug, YEAR, 1]),
        reverse("monitoring:published_docx", args=[plan.slug, YEAR, 1]),
        reverse("monitoring:published_list", args=[plan.slug]),
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(permalink.replace("/v1/", "/v2/")).status_code == 404
    # Staff who still owe their second factor read public pages too (not held at the door).
    client.force_login(director)
    assert client.get(permalink).status_code == 200
    assert client.get(preview).status_code == 302  # the staff preview asks for the code


def test_plan_overview_links_to_published_reports(durres_plan, client):
    response = client.get(durres_plan.get_absolute_url())
    assert (
        reverse("monitoring:published_list", args=[durres_plan.slug]) in response.content.decode()
    )
