"""The annual monitoring report: a snapshot of the year, laid out as HTML, PDF and DOCX.

`snapshot()` turns the report data (reports.annual_report) into plain JSON:
numbers, and labels already translated into the report's language. The three
renderers read only that snapshot, never the database, so a published
report (`publish()`, stored as an AnnualReport with its html, pdf and docx)
stays exactly as it was published whatever is edited afterwards.
"""

import datetime
import io
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from socialplan import disclosure
from socialplan.accounts.audit import record
from socialplan.charts.svg import bar_chart
from socialplan.plan.models import Activity, Plan
from socialplan.plan.templatetags.money import lek, percent

from .models import AnnualReport, IndicatorLink, ProgressReport, Recommendation
from .reports import AnnualReportData, activity_statuses, annual_report

TEMPLATE = "monitoring/annual_report.html"
SNAPSHOT_FORMAT = 1
Status = ProgressReport.Status
# Columns of the progress tables, most advanced first; "none" = no approved report.
STATUS_ORDER = [
    Status.DONE,
    Status.ON_TRACK,
    Status.DELAYED,
    Status.NOT_STARTED,
    Status.CANCELLED,
    "none",
]
# The report is public: a computed count of people under 5 is not shown.
PEOPLE_METRICS = {IndicatorLink.Metric.NJVRN_CASES, IndicatorLink.Metric.PEOPLE_SERVED}
SMALL = disclosure.THRESHOLD
# Chart labels are cut at 34 characters (charts.svg); the suffix must survive.
CHART_LABEL = 34


def _figure(value: Decimal | None) -> str | None:
    """A target or actual as text: 5, 2.5, 1 500 (never 5.00 or 1E+3)."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return lek(int(value))
    return format(value.normalize(), "f")


def _share(part, whole) -> str | None:
    if not whole:
        return None
    return percent(Decimal(part) / Decimal(whole))


def _day(value: datetime.date) -> str:
    return value.strftime("%d/%m/%Y")


def _people(count: int) -> str:
    return "<5" if 0 < count < SMALL else lek(count)


def _participants(groups: dict) -> tuple[list[list], str]:
    """Groups with counts, a group under 5 shown as "<5"; the total is hidden when it would
    give back the only hidden group."""
    rows = [[str(name), int(count)] for name, count in groups.items()]
    hidden = [count for _name, count in rows if 0 < count < SMALL]
    total = sum(count for _name, count in rows)
    shown_total = "—" if len(hidden) == 1 and len(rows) > 1 else _people(total)
    return [[name, _people(count)] for name, count in rows], shown_total


def _activity_rows(data: AnnualReportData) -> dict[int, list[dict]]:
    """Per measure, the activities expected to report in the year, with their status and
    the approved reports' words."""
    plan, year = data.plan, data.year
    statuses = activity_statuses(plan, year)
    labels = {**dict(Status.choices), "none": _("not reported")}
    measure_ids = [m.measure.pk for p in data.progress for m in p.measures]
    reports: dict[int, list[dict]] = {}
    for report in ProgressReport.objects.filter(
        plan=plan, year=year, state=ProgressReport.State.APPROVED
    ).select_related("organisation", "unit"):
        reports.setdefault(report.activity_id, []).append(
            {
                "reporter": str(report.reporter),
                "period": (
                    _("Q%(q)s") % {"q": report.quarter} if report.quarter else _("whole year")
                ),
                "status": str(labels[report.status]),
                "narrative": report.narrative,
            }
        )
    rows: dict[int, list[dict]] = {}
    # The same rows as reports.progress() counts: leaf activities running that year.
    leaves = Activity.objects.filter(measure__in=measure_ids, children__isnull=True)
    for activity in leaves.order_by("measure_id", "position"):
        if activity.years and year not in activity.years:
            continue
        status = statuses.get(activity.pk, "none")
        rows.setdefault(activity.measure_id, []).append(
            {
                "code": activity.display_code,
                "title": activity.title,
                "lead": activity.lead,
                "status": status,
                "status_label": str(labels[status]),
                "reports": reports.get(activity.pk, []),
            }
        )
    return rows


def _counts(by_status: Counter) -> list[int]:
    return [int(by_status.get(code, 0)) for code in STATUS_ORDER]


def _indicator_rows(data: AnnualReportData) -> list[dict]:
    rows = []
    for row in data.indicators:
        target = row.target
        activity = target.activity
        actual, how = _figure(row.actual), row.how
        link = getattr(target, "link", None)
        if (
            row.computed
            and link is not None
            and link.metric in PEOPLE_METRICS
            and row.actual is not None
            and 0 < row.actual < SMALL
        ):
            actual, how = "<5", _("fewer than 5 people: the exact number is not published")
        ratio = row.ratio if actual != "<5" else None
        rows.append(
            {
                "priority": activity.measure.objective.priority.number,
                "activity": activity.display_code,
                "activity_title": activity.title,
                "target": target.text,
                "unit": target.unit,
                "planned": _figure(row.planned),
                "actual": actual,
                "achieved": percent(ratio) if ratio is not None else None,
                "below": ratio is not None and ratio < 1,
                "computed": row.computed,
                "how": str(how),
            }
        )
    return rows


def _consultations(data: AnnualReportData) -> list[dict]:
    result = []
    for consultation in data.consultations:
        groups, total = _participants(consultation.participants)
        recommendations = []
        for item in consultation.recommendations.all():
            element = ""
            if item.activity is not None:
                element = f"{item.activity.display_code} {item.activity.title}".strip()
            recommendations.append(
                {
                    "text": item.text,
                    "decision": item.decision,
                    "decision_label": str(item.get_decision_display()),
                    "justification": item.justification,
                    "element": element,
                }
            )
        result.append(
            {
                "date": consultation.date.isoformat(),
                "day": _day(consultation.date),
                "kind": str(consultation.get_kind_display()),
                "unit": consultation.unit.name if consultation.unit_id else "",
                "groups": groups,
                "participants": total,
                "notes": consultation.notes,
                "recommendations": recommendations,
            }
        )
    return result


def _recommendations(snap: dict) -> list[str]:
    """What the figures ask of the directorate, one sentence each."""
    year = snap["year"]
    summary = snap["summary"]
    advice = []
    if summary["not_reported"]:
        advice.append(
            _(
                "Activities without an approved report for %(y)s: %(n)s. Ask their lead "
                "institutions to report before the plan is next reviewed."
            )
            % {"y": year, "n": summary["not_reported"]}
        )
    if summary["delayed"]:
        advice.append(
            _(
                "Delayed activities: %(n)s. Review them with their lead institutions and agree "
                "new dates, or propose a revision of the plan."
            )
            % {"n": summary["delayed"]}
        )
    missing = sum(1 for row in snap["indicators"] if row["actual"] is None)
    if missing:
        advice.append(
            _("Indicators with no actual value for %(y)s: %(n)s. Collect the data for them.")
            % {"y": year, "n": missing}
        )
    below = sum(1 for row in snap["indicators"] if row["below"])
    if below:
        advice.append(
            _(
                "Indicators below their target for %(y)s: %(n)s. Examine the causes and what "
                "the activities behind them need."
            )
            % {"y": year, "n": below}
        )
    budget = snap["budget"]
    if budget["planned_total"] and budget["spent_total"] < budget["planned_total"] / 2:
        advice.append(
            _(
                "Spending reported for %(y)s is %(p)s of the budget planned for the year. Check "
                "that every approved report records its spending, and the phasing of the budget."
            )
            % {"y": year, "p": budget["execution"]}
        )
    if snap["funding_needed"]["year"]:
        advice.append(
            _(
                "Activities planned for %(y)s still wait for donor funding of %(a)s lek. Present "
                "them to donors (the plan's list of funding still needed)."
            )
            % {"y": year, "a": lek(snap["funding_needed"]["year"])}
        )
    pending = summary["recommendations_by_decision"].get(Recommendation.Decision.PENDING, 0)
    if pending:
        advice.append(
            _("Consultation recommendations still without a decision: %(n)s. Decide on them.")
            % {"n": pending}
        )
    return advice


def snapshot(data: AnnualReportData) -> dict:
    """Everything the report shows, as JSON, with labels in the active language."""
    plan, year = data.plan, data.year
    activities = _activity_rows(data)
    status_labels = {**dict(Status.choices), "none": _("not reported")}
    priorities = []
    all_statuses = Counter()
    for group in data.progress:
        all_statuses.update(group.by_status)
        measures = []
        for row in group.measures:
            measure = row.measure
            measures.append(
                {
                    "code": str(measure),
                    "title": measure.title,
                    "activities": row.activities,
                    "counts": _counts(row.by_status),
                    "items": activities.get(measure.pk, []),
                }
            )
        priority = group.priority
        progressing = group.by_status.get(Status.DONE, 0) + group.by_status.get(Status.ON_TRACK, 0)
        priorities.append(
            {
                "number": priority.number,
                "title": priority.title,
                "activities": group.activities,
                "counts": _counts(group.by_status),
                "progressing": progressing,
                "progressing_share": _share(progressing, group.activities),
                "measures": measures,
            }
        )

    budget = data.budget
    budget_rows = [
        {
            "source": code,
            "label": str(label),
            "planned": int(planned),
            "spent": int(spent),
            "execution": _share(spent, planned),
        }
        for code, label, planned, spent in budget.rows()
    ]
    indicators = _indicator_rows(data)
    consultations = _consultations(data)
    decisions = Counter(
        r["decision"] for c in consultations for r in c["recommendations"] if r["decision"]
    )
    needed = data.funding_needed
    snap = {
        "format": SNAPSHOT_FORMAT,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "year": year,
        "generated_on": _day(timezone.localdate()),
        "plan": {
            "title": plan.title,
            "slug": plan.slug,
            "municipality": plan.municipality.name,
            "period": f"{plan.period_start.year}–{plan.period_end.year}",
        },
        "publication": None,
        "statuses": [{"code": code, "label": str(status_labels[code])} for code in STATUS_ORDER],
        "summary": {
            "activities": data.activity_count,
            "reported": data.reported,
            "done": data.done,
            "on_track": int(all_statuses.get(Status.ON_TRACK, 0)),
            "delayed": int(all_statuses.get(Status.DELAYED, 0)),
            "not_reported": int(all_statuses.get("none", 0)),
            "reported_share": _share(data.reported, data.activity_count),
            "indicators": len(indicators),
            "indicators_with_actual": sum(1 for row in indicators if row["actual"] is not None),
            "consultations": len(consultations),
            "recommendations": sum(decisions.values()),
            "recommendations_by_decision": dict(decisions),
        },
        "priorities": priorities,
        "indicators": indicators,
        "budget": {
            "rows": budget_rows,
            "planned_total": int(budget.planned_total),
            "spent_total": int(budget.spent_total),
            "execution": _share(budget.spent_total, budget.planned_total),
        },
        "funding_needed": {
            "total": int(needed.total),
            "year": int(needed.by_year.get(year, 0)),
            "lines": needed.line_count,
        },
        "consultations": consultations,
        "decisions": [
            {
                "code": code,
                "label": str(label),
                "count": int(decisions.get(code, 0)),
            }
            for code, label in Recommendation.Decision.choices
        ],
        "gaps": [
            {
                "measure": str(measure),
                "title": measure.title,
                "not_reported": int(missing),
                "delayed": int(delayed),
            }
            for measure, missing, delayed in data.gaps
        ],
    }
    snap["recommendations"] = _recommendations(snap)
    return snap


# Rendering: from the snapshot alone.


def _pair_label(label: str, suffix: str) -> str:
    room = CHART_LABEL - len(suffix) - 3
    if len(label) > room:
        label = label[: room - 1] + "…"
    return f"{label} · {suffix}"


def charts(snap: dict) -> dict[str, str]:
    """The report's charts as SVG, in the snapshot's language (call inside its override)."""
    year = snap["year"]
    progress_rows = [
        (
            _("Priority %(n)s") % {"n": p["number"]},
            round(100 * p["progressing"] / p["activities"]) if p["activities"] else 0,
        )
        for p in snap["priorities"]
    ]
    budget_rows = []
    for row in snap["budget"]["rows"]:
        budget_rows.append((_pair_label(row["label"], _("planned")), row["planned"]))
        budget_rows.append((_pair_label(row["label"], _("spent")), row["spent"]))
    return {
        "progress": str(
            bar_chart(
                progress_rows,
                title=_("Activities done or on track in %(y)s, %% of those due") % {"y": year},
                value_format=lambda v: f"{v:.0f}\u00a0%",
            )
        ),
        "budget": str(
            bar_chart(
                budget_rows,
                title=_("Budget %(y)s by funding source: planned and spent (lek)") % {"y": year},
                value_format=lek,
            )
        ),
    }


def render_html(snap: dict, *, standalone: bool = False) -> str:
    """The report as HTML: a fragment for a page, or a whole document (for the PDF)."""
    with translation.override(snap["language"]):
        context = {
            "r": snap,
            "standalone": standalone,
            "charts": charts(snap),
            "title": _title(snap),
            "status_line": _status_line(snap),
            "summary": _summary_rows(snap),
            "budget_note": _budget_note(),
            "funding_line": _funding_line(snap),
        }
        return render_to_string(TEMPLATE, context)


def render_pdf(snap: dict) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which no other page needs.
    from weasyprint import HTML, URLFetcher

    html = render_html(snap, standalone=True)
    # Everything is inline (styles, SVG charts): no protocol is allowed, so no text
    # in the report can make the server fetch a file or a URL.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def chart_png(svg: str) -> bytes:
    """A chart as PNG for the DOCX (cairosvg draws with the cairo WeasyPrint already needs)."""
    import cairosvg

    # Our own SVG, with no link in it; cairosvg's safe mode (the default, unsafe=False)
    # refuses XML entities and reading files all the same.
    return cairosvg.svg2png(bytestring=svg.encode(), scale=2)


def render_docx(snap: dict) -> bytes:
    with translation.override(snap["language"]):
        return _docx(snap)


def _docx(snap: dict) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "DejaVu Sans"
    normal.font.size = Pt(10)
    # The document's language, so a word processor checks the right spelling.
    run_properties = normal.element.get_or_add_rPr()
    language = run_properties.find(qn("w:lang"))
    if language is None:
        language = run_properties.makeelement(qn("w:lang"), {})
        run_properties.append(language)
    language.set(qn("w:val"), "sq-AL" if snap["language"] == "sq" else "en-GB")
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
        section.left_margin = section.right_margin = Cm(2)
    properties = document.core_properties
    properties.title = _title(snap)
    properties.language = snap["language"]

    def table(headings, rows, widths, numeric=()):
        """A table; `widths` in cm (the text column is 17 cm wide)."""
        grid = document.add_table(rows=1, cols=len(headings))
        grid.style = "Table Grid"
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        grid.autofit = False

        def put(cell, text, bold=False, right=False):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run("—" if text is None else str(text))
            run.bold = bold
            run.font.size = Pt(8.5)
            if right:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

        for i, heading in enumerate(headings):
            put(grid.rows[0].cells[i], heading, bold=True, right=i in numeric)
        for row in rows:
            cells = grid.add_row().cells
            for i, value in enumerate(row):
                put(cells[i], value, right=i in numeric)
        for i, width in enumerate(widths):
            grid.columns[i].width = Cm(width)
            for cell in grid.columns[i].cells:
                cell.width = Cm(width)
        document.add_paragraph()
        return grid

    def chart(svg):
        document.add_picture(io.BytesIO(chart_png(svg)), width=Cm(15))

    svgs = charts(snap)
    plan = snap["plan"]
    budget = snap["budget"]
    document.add_heading(_title(snap), level=0)
    document.add_paragraph(f"{plan['title']} · {plan['municipality']} · {plan['period']}")
    document.add_paragraph(_status_line(snap))

    document.add_heading(_("Summary"), level=1)
    for label, value in _summary_rows(snap):
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{label}: ")
        paragraph.add_run(str(value)).bold = True

    document.add_heading(_("Progress by priority, measure and activity"), level=1)
    chart(svgs["progress"])
    status_headings = [s["label"] for s in snap["statuses"]]
    table(
        [_("Priority"), _("Activities due"), *status_headings],
        [
            [f"{p['number']}. {p['title']}", p["activities"], *p["counts"]]
            for p in snap["priorities"]
        ],
        [17 - 1.6 * (1 + len(status_headings))] + [1.6] * (1 + len(status_headings)),
        numeric=range(1, 2 + len(status_headings)),
    )
    for priority in snap["priorities"]:
        document.add_heading(
            _("Priority %(n)s") % {"n": priority["number"]} + f": {priority['title']}", level=2
        )
        for measure in priority["measures"]:
            document.add_heading(f"{measure['code']} {measure['title']}", level=3)
            table(
                [_("Activity"), _("Lead institution"), _("Status"), _("What was reported")],
                [
                    [
                        f"{item['code']} {item['title']}",
                        item["lead"],
                        item["status_label"],
                        "\n".join(
                            f"{r['reporter']} ({r['period']}): {r['narrative']}"
                            for r in item["reports"]
                        ),
                    ]
                    for item in measure["items"]
                ],
                [5, 3.5, 2, 6.5],
            )

    document.add_heading(_("Indicators: targets and actuals"), level=1)
    if snap["indicators"]:
        table(
            [_("Activity"), _("Target"), _("Target for the year"), _("Actual"), _("Achieved")],
            [
                [
                    row["activity"],
                    row["target"],
                    row["planned"],
                    row["actual"],
                    row["achieved"] or row["how"],
                ]
                for row in snap["indicators"]
            ],
            [2.2, 6, 2.2, 2.2, 4.4],
            numeric=(2, 3),
        )
    else:
        document.add_paragraph(_("No measurable target falls in this year."))

    document.add_heading(_("Budget execution by funding source"), level=1)
    document.add_paragraph(_budget_note())
    chart(svgs["budget"])
    table(
        [_("Funding source"), _("Planned (lek)"), _("Spent (lek)"), _("Executed")],
        [
            [row["label"], lek(row["planned"]), lek(row["spent"]), row["execution"]]
            for row in budget["rows"]
        ]
        + [
            [
                _("Total"),
                lek(budget["planned_total"]),
                lek(budget["spent_total"]),
                budget["execution"],
            ]
        ],
        [7, 3.5, 3.5, 3],
        numeric=(1, 2, 3),
    )
    document.add_paragraph(_funding_line(snap))

    document.add_heading(_("Consultations and their recommendations"), level=1)
    if not snap["consultations"]:
        document.add_paragraph(_("No consultation was recorded in this year."))
    else:
        table(
            [_("Decision"), _("Recommendations")],
            [[d["label"], d["count"]] for d in snap["decisions"]],
            [7, 3],
            numeric=(1,),
        )
    for consultation in snap["consultations"]:
        heading = f"{consultation['day']} · {consultation['kind']}"
        if consultation["unit"]:
            heading += f" · {consultation['unit']}"
        document.add_heading(heading, level=2)
        groups = ", ".join(f"{name}: {count}" for name, count in consultation["groups"])
        document.add_paragraph(
            _("Participants: %(n)s") % {"n": consultation["participants"]}
            + (f" ({groups})" if groups else "")
        )
        if consultation["notes"]:
            document.add_paragraph(consultation["notes"])
        if consultation["recommendations"]:
            table(
                [_("Recommendation"), _("Decision"), _("Justification"), _("Plan element")],
                [
                    [r["text"], r["decision_label"], r["justification"], r["element"]]
                    for r in consultation["recommendations"]
                ],
                [6, 2.5, 4.5, 4],
            )

    document.add_heading(_("Gaps and recommendations"), level=1)
    if snap["gaps"]:
        table(
            [_("Measure"), _("Not reported"), _("Delayed")],
            [
                [f"{g['measure']} {g['title']}", g["not_reported"], g["delayed"]]
                for g in snap["gaps"]
            ],
            [12, 2.5, 2.5],
            numeric=(1, 2),
        )
    for sentence in snap["recommendations"] or [_("No gap stands out in the figures.")]:
        document.add_paragraph(sentence, style="List Number")

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# Words the HTML template and the DOCX share.


def _title(snap: dict) -> str:
    return _("Annual monitoring report %(y)s") % {"y": snap["year"]}


def _status_line(snap: dict) -> str:
    publication = snap["publication"]
    if publication is None:
        return _("Preview of %(d)s: not published, the figures may still change.") % {
            "d": snap["generated_on"]
        }
    return _("Version %(v)s, published on %(d)s. Permanent address: %(url)s") % {
        "v": publication["version"],
        "d": publication["published_on"],
        "url": publication["permalink"],
    }


def _budget_note() -> str:
    return _(
        "Planned: the plan's budget lines for the year; an amount given for several years is "
        "split evenly between them, since the plan does not phase it. Spent: the spending "
        "recorded in approved progress reports."
    )


def _funding_line(snap: dict) -> str:
    needed = snap["funding_needed"]
    return _(
        "Funding still needed (donor not yet secured): %(y_amount)s lek for %(y)s; "
        "%(total)s lek over the whole plan."
    ) % {"y_amount": lek(needed["year"]), "y": snap["year"], "total": lek(needed["total"])}


def _summary_rows(snap: dict) -> list[tuple[str, str]]:
    summary = snap["summary"]
    budget = snap["budget"]
    return [
        (_("Activities due in the year"), lek(summary["activities"])),
        (
            _("Activities with an approved report"),
            f"{lek(summary['reported'])} ({summary['reported_share'] or '—'})",
        ),
        (_("Done"), lek(summary["done"])),
        (_("On track"), lek(summary["on_track"])),
        (_("Delayed"), lek(summary["delayed"])),
        (
            _("Indicators with an actual value"),
            f"{lek(summary['indicators_with_actual'])} / {lek(summary['indicators'])}",
        ),
        (_("Budget planned for the year (lek)"), lek(budget["planned_total"])),
        (
            _("Spent (lek)"),
            f"{lek(budget['spent_total'])} ({budget['execution'] or '—'})",
        ),
        (_("Consultations"), lek(summary["consultations"])),
        (_("Recommendations received"), lek(summary["recommendations"])),
    ]


# Publishing.


@transaction.atomic
def publish(*, request, plan: Plan, year: int, by, language: str | None = None) -> AnnualReport:
    """Freeze the year's report as the next version for (plan, year), in `language`
    (the site's default, Albanian, unless given)."""
    # One publisher at a time per plan: the version number is read and used under the lock.
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    last = AnnualReport.objects.filter(plan=plan, year=year).aggregate(Max("version"))
    version = (last["version__max"] or 0) + 1
    now = timezone.now()
    with translation.override(language or settings.LANGUAGE_CODE):
        snap = snapshot(annual_report(plan, year))
    path = reverse("monitoring:published", args=[plan.slug, year, version])
    snap["publication"] = {
        "version": version,
        "published_at": now.isoformat(),
        "published_on": _day(timezone.localdate(now)),
        "permalink": request.build_absolute_uri(path) if request is not None else path,
    }
    report = AnnualReport.objects.create(
        plan=plan,
        year=year,
        version=version,
        published_by=by,
        snapshot=snap,
        html=render_html(snap),
        pdf=render_pdf(snap),
        docx=render_docx(snap),
    )
    # The stored time is the one the report prints.
    AnnualReport.objects.filter(pk=report.pk).update(published_at=now)
    report.published_at = now
    record(
        request,
        "create",
        report,
        summary=f"annual report {plan.slug} {year} v{version} published",
        user=by,
    )
    return report
