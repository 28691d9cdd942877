"""An action plan in Excel: export, import (preview, then confirm), and refusals.

Personas (synthetic): Arta, director of social services of Durrës; Besa,
director of social services of Elbasan, a second municipality created here.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook, load_workbook

from socialplan.accounts.models import AuditEvent, Membership
from socialplan.plan.loader import write_plan
from socialplan.plan.models import Activity, BudgetLine, Plan
from socialplan.plan.reconciliation import reconcile
from socialplan.plan.xlsx import ACTION_SHEET, COLUMNS, PLAN_SHEET, export_plan, parse_workbook
from socialplan.territory.models import AdministrativeUnit, Municipality
from socialplan.uploads import read_xlsx

SLUG = "durres-2025-2028"
HEADER = [label for _key, label in COLUMNS]


# ---------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _messages_in_english():
    # The assertions read the English messages; the site's default language is Albanian.
    from django.utils import translation

    with translation.override("en"):
        yield


def _xlsx(rows, *, title=ACTION_SHEET, merge_headings=False) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
        if merge_headings and len(row) == 1:
            sheet.merge_cells(
                start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=8
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheets(data: bytes, name="plan.xlsx"):
    return read_xlsx(SimpleUploadedFile(name, data))


def _parse(data: bytes, municipality=("durres", "Durrës"), slug="durres-kopje", title="Kopje"):
    with translation.override("en"):
        return parse_workbook(
            _sheets(data),
            municipality_code=municipality[0],
            municipality_name=municipality[1],
            slug=slug,
            title=title,
        )


def _row(**values):
    """A row of the export layout, by column key."""
    keys = [key for key, _label in COLUMNS]
    return [values.get(key) for key in keys]


def _tree(plan):
    """The whole plan as plain data, without ids and source lines."""
    tree = []
    for p in plan.priorities.order_by("number"):
        objectives = []
        for o in p.objectives.order_by("position"):
            measures = []
            for m in o.measures.order_by("number"):
                activities = []
                for a in m.activities.order_by("position").select_related("parent"):
                    activities.append(
                        {
                            "position": a.position,
                            "code": a.code,
                            "parent": a.parent.code if a.parent else None,
                            "title": a.title,
                            "indicator": a.indicator,
                            "years": (a.start_year, a.end_year),
                            "lead": a.lead,
                            "contributor": a.contributor,
                            "notes": a.notes,
                            "targets": [
                                (t.position, t.text, t.parsed, t.value, t.unit, t.per, t.years)
                                for t in a.targets.order_by("position")
                            ],
                            "budget": [
                                (
                                    b.position,
                                    b.printed,
                                    b.amount,
                                    b.per_year,
                                    b.source,
                                    b.funder,
                                    b.interpretation,
                                )
                                for b in a.budget_lines.order_by("position")
                            ],
                        }
                    )
                measures.append((m.number, m.title, activities))
            objectives.append((o.code, o.printed_code, o.position, o.title, measures))
        tree.append((p.number, p.title, objectives))
    return tree


def _declared(plan):
    return [
        (
            t.position,
            t.priority.number if t.priority else None,
            t.objective.code if t.objective else None,
            t.where,
            t.group,
            t.printed,
            t.amount,
            t.label,
        )
        for t in plan.declared_totals.select_related("priority", "objective").order_by("position")
    ]


def _reconciliation(plan):
    report = reconcile(plan)
    scopes = [report.whole, *report.priorities, *report.objectives]
    return {
        "scopes": [
            (s.label, dict(s.amounts.by_source), s.amounts.unknown_lines, s.amounts.printed_once)
            for s in scopes
        ],
        "comparisons": [
            (s.label, c.declared.printed, c.computed, c.agrees)
            for s in scopes
            for c in s.comparisons
        ],
        "conflicts": [(c.label, c.group) for c in report.conflicts],
        "arithmetic": [(a.kind, a.scope, a.sum, a.agrees) for a in report.arithmetic],
        "interpretations": [(b.printed, b.amount) for b in report.interpretations],
        "unknown": [b.printed for b in report.unknown_amounts],
    }


@pytest.fixture
def elbasan(db):
    municipality = Municipality.objects.create(code="elbasan", name="Elbasan")
    for i, (code, name, kind) in enumerate(
        [
            ("elbasan", "Elbasan", "urban"),
            ("shirgjan", "Shirgjan", "rural"),
            ("gjinar", "Gjinar", "rural"),
        ]
    ):
        AdministrativeUnit.objects.create(
            municipality=municipality, code=code, name=name, kind=kind, position=i
        )
    return municipality


@pytest.fixture
def besa(django_user_model, elbasan):
    """Besa, director of social services of Elbasan."""
    user = django_user_model.objects.create_user("besa.drejtore", password="not-a-real-password")
    Membership.objects.create(user=user, municipality=elbasan, role="director")
    return user


@pytest.fixture
def arta(django_user_model, durres_plan):
    """Arta, director of social services of Durrës."""
    user = django_user_model.objects.create_user("arta.drejtore", password="not-a-real-password")
    Membership.objects.create(
        user=user, municipality=Municipality.objects.get(code="durres"), role="director"
    )
    return user


def _elbasan_workbook() -> bytes:
    """An action plan as a municipality writes it: the seed's columns, headings as rows."""
    header = [
        "Objektivat",
        "Aktiviteti",
        "Indikatori",
        "Afati i fillimit",
        "Afati i mbarimit",
        "Buxheti dhe burimi i financimit",
        "Drejtoria/Sektori/Departamenti (Udhëheqës)",
        "Institucion kontribues (nëse ka)",
    ]
    rows = [
        ["PLANI I VEPRIMIT 2026-2029, BASHKIA ELBASAN"],
        header,
        ["Prioriteti 1: Shërbime sociale më afër familjeve"],
        ["Objektivi specifik 1 (OS1): Të zgjerohen shërbimet në njësitë rurale"],
        [
            "Masa 1: Qendra komunitare në Shirgjan",
            "A 1.1 Hapja e qendrës komunitare",
            "1 qendër e hapur, 40 përfitues në vit",
            2026,
            2027,
            "1,810,000 lekë/ Bashkia",
            "Drejtoria e Shërbimeve Sociale",
            "OJF",
        ],
        [None, None, None, None, None, "500 000 leke / Donator i pambuluar"],
        [None, "A 1.2 Trajnimi i stafit"],
        [
            None,
            "A 1.2.1 Trajnime për punonjësit socialë",
            "4 trajnime në vit",
            "2026",
            "2029",
            "120,000 leke/vit / Ministria",
            "Drejtoria e Shërbimeve Sociale",
        ],
        [None, "A 1.3 Harta e shërbimeve", "Harta e publikuar", 2027, 2027, "????"],
        [None, "TOTALI Prioriteti 1", None, None, None, "2,310,000"],
        ["Prioriteti 2: Përfshirja sociale"],
        ["Objektivi specifik 2.1: Të rritet pjesëmarrja e të rinjve"],
        ["Masa 1: Klube rinore"],
        [
            None,
            "A 1.1 Klube rinore në shkolla",
            "3 klube",
            2026,
            2028,
            "300,000 leke / OJF",
            "Drejtoria e Arsimit",
            "Shkollat",
        ],
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = "PV 2026"
    for row in rows:
        sheet.append(row)
        if len(row) == 1:
            sheet.merge_cells(
                start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=8
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(
    client, data: bytes, *, municipality, slug, title="Plani Social Vendor", name="plan.xlsx"
):
    client.cookies["django_language"] = "en"
    return client.post(
        reverse("plan:import_preview"),
        {
            "file": SimpleUploadedFile(name, data),
            "municipality": municipality.pk,
            "slug": slug,
            "title": title,
        },
    )


# ---------------------------------------------------------------- round trip


def test_export_then_import_gives_the_same_plan(durres_plan):
    data = export_plan(durres_plan)
    parsed, problems = _parse(data)
    assert problems == []
    copy = write_plan(parsed)

    assert copy.slug == "durres-kopje" and copy.title == "Kopje"
    assert copy.municipality == durres_plan.municipality
    assert (copy.period_start, copy.period_end) == (
        durres_plan.period_start,
        durres_plan.period_end,
    )
    for name in ("vision", "mission", "general_goal"):
        assert getattr(copy, name) == getattr(durres_plan, name)
    assert _tree(copy) == _tree(durres_plan)
    assert _declared(copy) == _declared(durres_plan)
    assert _reconciliation(copy) == _reconciliation(durres_plan)
    # The data really is there: 85 activities, 112 budget lines, 27 declared totals.
    assert Activity.objects.filter(measure__objective__priority__plan=copy).count() == 85
    assert (
        BudgetLine.objects.filter(activity__measure__objective__priority__plan=copy).count() == 112
    )
    assert copy.declared_totals.count() == 27
    # The imported plan's rows point at the workbook's rows.
    first = Activity.objects.filter(measure__objective__priority__plan=copy, code="A 1.1").first()
    sheet = load_workbook(io.BytesIO(data))[ACTION_SHEET]
    assert sheet.cell(first.line, 4).value == "A 1.1"


def test_export_layout(durres_plan):
    book = load_workbook(io.BytesIO(export_plan(durres_plan)))
    assert book.sheetnames == [ACTION_SHEET, "Totalet e deklaruara", PLAN_SHEET]
    sheet = book[ACTION_SHEET]
    assert [c.value for c in sheet[1]][:16] == [
        "Prioriteti", "Objektivi specifik", "Masa", "Kodi", "Aktiviteti", "Prind", "Indikatori",
        "Fillimi", "Mbarimi", "Buxheti (lekë)", "Për vit", "Burimi", "Financuesi",
        "Teksti i buxhetit", "Institucioni udhëheqës", "Institucioni kontribues",
    ]  # fmt: skip
    assert sheet["A2"].value.startswith("Prioriteti 1: Forcimi i kapaciteteve")
    assert sheet["A3"].value.startswith("Objektivi specifik 1.1 (OS1): Të rritet kapaciteti")
    assert sheet["A4"].value.startswith("Masa 1: Rritja e kapaciteteve")
    first = [c.value for c in sheet[5]]
    assert first[3:5] == ["A 1.1", "Analiza e nevojave per trajnim per stafin"]
    assert first[7:12] == [2025, 2025, 30000, None, "Bashkia"]
    assert first[13] == "30,000 All/ Bashkia"


def test_export_escapes_formulas(durres_plan):
    durres_plan.title = '=HYPERLINK("http://example.invalid","kliko")'
    durres_plan.save()
    activity = Activity.objects.filter(measure__objective__priority__plan=durres_plan).first()
    activity.title = "=1+1"
    activity.lead = "@SUM(A1)"
    activity.save()
    data = export_plan(durres_plan)
    book = load_workbook(io.BytesIO(data))
    assert book[PLAN_SHEET]["B2"].value == "'" + durres_plan.title
    texts = [c.value for row in book[ACTION_SHEET].iter_rows() for c in row if c.value]
    assert "'=1+1" in texts and "'@SUM(A1)" in texts
    assert not any(isinstance(t, str) and t.startswith(("=", "+", "@")) for t in texts)
    # Read back, the text is what the plan holds.
    parsed, problems = _parse(data)
    assert problems == []
    titles = [
        a.title
        for p in parsed.priorities
        for o in p.objectives
        for m in o.measures
        for a in m.activities
    ]
    assert "=1+1" in titles


def test_export_is_public_and_linked_from_the_overview(client, durres_plan):
    overview = client.get(reverse("plan:overview", args=[SLUG]))
    url = reverse("plan:export_xlsx", args=[SLUG])
    assert url.encode() in overview.content
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="durres-2025-2028.xlsx"' in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == ACTION_SHEET


# ---------------------------------------------------------------- a second municipality


def test_a_second_municipality_imports_its_plan(client, verified_login, besa, elbasan):
    verified_login(client, besa)
    form = client.get(reverse("plan:import"))
    assert form.status_code == 200
    assert [m.code for m in form.context["form"].fields["municipality"].queryset] == ["elbasan"]

    before = Plan.objects.count()
    preview = _upload(client, _elbasan_workbook(), municipality=elbasan, slug="elbasan-2026-2029")
    assert preview.status_code == 200
    assert preview.context["problems"] == []
    summary = preview.context["summary"]
    assert (summary.priorities, summary.objectives, summary.measures, summary.activities) == (
        2,
        2,
        2,
        5,
    )
    assert summary.amounts.line_count == 5
    assert summary.amounts.unknown_lines == 1
    # 120,000 a year for 4 years (2026-2029).
    assert summary.amounts.total == 1_810_000 + 500_000 + 4 * 120_000 + 300_000
    assert b"rows read" in preview.content
    assert Plan.objects.count() == before  # nothing written yet

    key = preview.context["key"]
    response = client.post(reverse("plan:import_confirm"), {"key": key})
    plan = Plan.objects.get(slug="elbasan-2026-2029")
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert plan.municipality == elbasan
    assert (plan.period_start.isoformat(), plan.period_end.isoformat()) == (
        "2026-01-01",
        "2029-12-31",
    )
    assert plan.source_document == "plan.xlsx"
    objective = plan.priorities.get(number=1).objectives.get()
    assert (objective.code, objective.printed_code) == ("1.1", "OS1")
    measure = objective.measures.get()
    assert measure.title == "Qendra komunitare në Shirgjan"
    a11, a12, a121, a13 = measure.activities.order_by("position")
    assert (a11.code, a11.title, a11.start_year, a11.end_year) == (
        "A 1.1",
        "Hapja e qendrës komunitare",
        2026,
        2027,
    )
    lines = list(a11.budget_lines.order_by("position"))
    assert [(b.amount, b.source, b.printed) for b in lines] == [
        (1_810_000, "municipality", "1,810,000 lekë/ Bashkia"),
        (500_000, "donor_uncovered", "500 000 leke / Donator i pambuluar"),
    ]
    assert [(t.value, t.per) for t in a11.targets.order_by("position")] == [
        (1, "period"),
        (40, "year"),
    ]
    assert a121.parent == a12 and a12.budget_lines.count() == 0
    assert [(b.amount, b.per_year, b.source) for b in a121.budget_lines.all()] == [
        (120_000, True, "central_government")
    ]
    unknown = a13.budget_lines.get()
    assert (unknown.amount, unknown.printed, unknown.source) == (None, "????", "unknown")
    other = plan.priorities.get(number=2).objectives.get(code="2.1").measures.get().activities.get()
    assert other.budget_lines.get().source == "provider"
    assert (other.lead, other.contributor) == ("Drejtoria e Arsimit", "Shkollat")
    total = plan.declared_totals.get()
    assert (total.priority.number, total.amount, total.where) == (1, 2_310_000, "action_plan_total")
    event = AuditEvent.objects.get(action="import", object_id=str(plan.pk))
    assert event.user == besa and "plan.xlsx" in event.summary

    # The same preview cannot be confirmed twice.
    again = client.post(reverse("plan:import_confirm"), {"key": key})
    assert again.status_code == 302 and again["Location"] == reverse("plan:import")
    assert Plan.objects.filter(slug="elbasan-2026-2029").count() == 1


def test_a_director_imports_only_for_her_municipality(client, verified_login, besa, elbasan, arta):
    verified_login(client, besa)
    durres = Municipality.objects.get(code="durres")
    response = _upload(client, _elbasan_workbook(), municipality=durres, slug="tjeter")
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not Plan.objects.filter(slug="tjeter").exists()
    # A preview kept for one user is not another's.
    verified_login(client, arta)
    preview = _upload(client, _elbasan_workbook(), municipality=durres, slug="durres-tjeter")
    key = preview.context["key"]
    client.logout()
    verified_login(client, besa)
    response = client.post(reverse("plan:import_confirm"), {"key": key})
    assert response["Location"] == reverse("plan:import")
    assert not Plan.objects.filter(slug="durres-tjeter").exists()


def test_confirm_refuses_a_slug_taken_since_the_preview(client, verified_login, besa, elbasan):
    verified_login(client, besa)
    preview = _upload(client, _elbasan_workbook(), municipality=elbasan, slug="elbasan-plan")
    first = client.post(reverse("plan:import_confirm"), {"key": preview.context["key"]})
    assert first.status_code == 302
    assert Plan.objects.filter(slug="elbasan-plan").count() == 1
    # The form refuses a slug already used...
    response = _upload(client, _elbasan_workbook(), municipality=elbasan, slug="elbasan-plan")
    assert "slug" in response.context["form"].errors


def test_confirm_refuses_when_the_slug_was_taken_meanwhile(client, verified_login, besa, elbasan):
    verified_login(client, besa)
    preview = _upload(client, _elbasan_workbook(), municipality=elbasan, slug="elbasan-x")
    other = _upload(client, _elbasan_workbook(), municipality=elbasan, slug="elbasan-x")
    client.post(reverse("plan:import_confirm"), {"key": preview.context["key"]})
    plan = Plan.objects.get(slug="elbasan-x")
    activities = Activity.objects.filter(measure__objective__priority__plan=plan).count()
    response = client.post(reverse("plan:import_confirm"), {"key": other.context["key"]})
    assert response["Location"] == reverse("plan:import")
    assert Plan.objects.filter(slug="elbasan-x").count() == 1
    assert Activity.objects.filter(measure__objective__priority__plan=plan).count() == activities
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("exists already" in m for m in messages)


def test_import_pages_are_guarded_while_plans_stay_public(client, arta):
    client.force_login(arta)  # a password, but no code yet: she owes one
    assert client.get(reverse("plan:list")).status_code == 200
    assert client.get(reverse("plan:export_xlsx", args=[SLUG])).status_code == 200
    response = client.get(reverse("plan:import"))
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    client.logout()
    response = client.get(reverse("plan:import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---------------------------------------------------------------- refusals


def _valid_rows():
    return [
        HEADER,
        ["Prioriteti 1: Shërbime"],
        ["Objektivi specifik 1.1: Të zgjerohen shërbimet"],
        ["Masa 1: Qendra ditore"],
        _row(code="A 1.1", activity="Hapja", start=2026, end=2027, amount=100000, source="Bashkia"),
    ]


MALFORMED = {
    "a year that is not a number": (
        lambda rows: rows[4].__setitem__(7, "dy mijë"),
        "Sheet 'Plani i veprimit', row 5, column H (Fillimi): 'dy mijë' is not a year",
    ),
    "a measure before any objective": (
        lambda rows: rows.insert(2, ["Masa 1: Pa objektiv"]),
        "Sheet 'Plani i veprimit', row 3, column A (Prioriteti): a measure before any objective",
    ),
    "an unknown funding source": (
        lambda rows: rows[4].__setitem__(11, "Banka e Ëndrrave"),
        "Sheet 'Plani i veprimit', row 5, column L (Burimi): 'Banka e Ëndrrave' is not a known "
        "funding source",
    ),
    "a negative amount": (
        lambda rows: rows[4].__setitem__(9, -5000),
        "Sheet 'Plani i veprimit', row 5, column J (Buxheti (lekë)): '-5000' is a negative amount",
    ),
    "mixed separators": (
        lambda rows: rows[4].__setitem__(9, "1.810,000"),
        "Sheet 'Plani i veprimit', row 5, column J (Buxheti (lekë)): '1.810,000' is not a whole "
        "number of lek",
    ),
    "an activity before any measure": (
        lambda rows: rows.insert(3, _row(code="A 0", activity="Pa masë")),
        "Sheet 'Plani i veprimit', row 4, column E (Aktiviteti): an activity before any measure",
    ),
    "a parent not listed above": (
        lambda rows: rows[4].__setitem__(5, "A 9"),
        "Sheet 'Plani i veprimit', row 5, column F (Prind): 'A 9' is not an activity listed above",
    ),
}


def test_a_valid_workbook_parses():
    parsed, problems = _parse(_xlsx(_valid_rows()))
    assert problems == []
    assert parsed.priorities[0].objectives[0].measures[0].activities[0].budget[0].amount == 100000


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_workbook_is_refused_with_its_place(case, client, verified_login, arta):
    change, expected = MALFORMED[case]
    rows = _valid_rows()
    change(rows)
    data = _xlsx(rows)
    _parsed, problems = _parse(data)
    assert _parsed is None
    assert any(str(p).startswith(expected) for p in problems), [str(p) for p in problems]

    verified_login(client, arta)
    before = Plan.objects.count()
    response = _upload(client, data, municipality=arta.memberships.get().municipality, slug="x-1")
    assert response.status_code == 200
    assert "key" not in response.context
    assert any(str(p).startswith(expected) for p in response.context["problems"])
    assert b'id="problems"' in response.content and b"import_confirm" not in response.content
    assert reverse("plan:import_confirm").encode() not in response.content
    assert Plan.objects.count() == before


def test_every_problem_is_listed_not_only_the_first():
    rows = _valid_rows()
    rows[4][7] = "dy mijë"
    rows[4][11] = "Banka"
    rows.append(_row(code="A 1.2", activity="Tjetër", end="2030x", amount="-1"))
    _parsed, problems = _parse(_xlsx(rows))
    places = [(p.row, p.column) for p in problems]
    assert places == [(5, "H"), (5, "L"), (6, "I"), (6, "J")]


def test_totals_sheet_problems_name_their_place(durres_plan):
    book = load_workbook(io.BytesIO(export_plan(durres_plan)))
    book["Totalet e deklaruara"]["C3"] = "Diku"
    book["Totalet e deklaruara"]["F4"] = "shumë"
    out = io.BytesIO()
    book.save(out)
    _parsed, problems = _parse(out.getvalue())
    assert [str(p).split(":")[0] for p in problems] == [
        "Sheet 'Totalet e deklaruara', row 3, column C (Ku shtypet)",
        "Sheet 'Totalet e deklaruara', row 4, column F (Shuma (lekë))",
    ]


def _bomb() -> bytes:
    """A few KB that inflate past 100 MB: a zip named .xlsx with [Content_Types].xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _i in range(110):
                member.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("empty.xlsx", b"", "The submitted file is empty."),
        ("text.xlsx", b"Prioriteti 1; Masa 1; A 1.1\n" * 20, "not an Excel workbook"),
        ("bomb.xlsx", None, "refused as a possible decompression bomb"),
        ("blank.xlsx", "blank", "no row names the action-plan columns"),
    ],
)
def test_unreadable_files_are_refused(name, data, expected, client, verified_login, arta):
    if data is None:
        data = _bomb()
        assert len(data) < 500_000
    elif data == "blank":
        data = _xlsx([])
    verified_login(client, arta)
    before = Plan.objects.count()
    response = _upload(
        client, data, municipality=arta.memberships.get().municipality, slug="x-2", name=name
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert "key" not in response.context
    assert Plan.objects.count() == before


# ---------------------------------------------------------------- in a real browser


def _log_in(page, username, password, device):
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form.login button").click()
    page.wait_for_url("**/accounts/2fa/verify/**")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.locator("form.login input[type=text], form.login input[inputmode]").first.fill(
        str(code).zfill(device.digits)
    )
    page.locator("form.login button").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_import_preview_and_confirm_in_a_browser(page, django_user_model, tmp_path):
    elbasan = Municipality.objects.create(code="elbasan", name="Elbasan")
    user = django_user_model.objects.create_user("besa.drejtore", password="browser-test-password")
    Membership.objects.create(user=user, municipality=elbasan, role="director")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    workbook = tmp_path / "elbasan.xlsx"
    workbook.write_bytes(_elbasan_workbook())

    _log_in(page, "besa.drejtore", "browser-test-password", device)
    page.goto(f"{page.base_url}/plans/")
    page.locator("main a[href$='/plans/import/']").click()
    page.wait_for_url("**/plans/import/")
    page.set_input_files("#id_file", str(workbook))
    page.select_option("#id_municipality", str(elbasan.pk))
    page.fill("#id_slug", "elbasan-2026-2029")
    page.fill("#id_title", "Plani Social Vendor i Bashkisë Elbasan 2026-2029")
    page.locator("form.edit button[type=submit]").click()
    page.wait_for_url("**/plans/import/preview/")
    assert page.locator("#problems").count() == 0
    assert "5" in page.locator("#counts tr").nth(3).inner_text()  # activities
    assert page.locator("#first-activities tbody tr").count() == 5
    assert not Plan.objects.filter(slug="elbasan-2026-2029").exists()

    page.locator("form[data-busy=importing] button").click()
    page.wait_for_url("**/plans/elbasan-2026-2029/")
    assert "Elbasan 2026-2029" in page.locator("h1").inner_text()
    plan = Plan.objects.get(slug="elbasan-2026-2029")
    assert plan.municipality == elbasan
    assert Activity.objects.filter(measure__objective__priority__plan=plan).count() == 5


# ---------------------------------------------------------------- reading in the background


def test_a_workbook_of_too_many_cells_is_refused_before_it_is_parsed(
    client, verified_login, besa, elbasan
):
    # A valid workbook of 260,000 cells: before, the request parsed them all; now they are
    # counted in the raw XML and refused at once.
    from socialplan.registry.tests.test_hostile_uploads import workbook_xml, zipped

    verified_login(client, besa)
    data = zipped(workbook_xml(13_000, 20, dimension="A1:T13000"))
    response = _upload(client, data, municipality=elbasan, slug="e-big")
    assert response.status_code == 200 and "250000 cells" in response.content.decode()
    assert "key" not in response.context and not Plan.objects.filter(slug="e-big").exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_reads_the_workbook_while_the_page_waits(
    client, verified_login, besa, elbasan, settings
):
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    verified_login(client, besa)
    response = _upload(client, _elbasan_workbook(), municipality=elbasan, slug="elbasan-bg")
    assert response.status_code == 302  # queued, not read in the request
    waiting = client.get(response["Location"])
    assert waiting["Refresh"] and b"being read" in waiting.content
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    preview = client.get(response["Location"])
    assert preview.context["problems"] == [] and preview.context["summary"].activities == 5
    client.post(reverse("plan:import_confirm"), {"key": preview.context["key"]})
    assert Plan.objects.get(slug="elbasan-bg").municipality == elbasan
    # The reading is known to the session that uploaded it only, and only once.
    assert client.get(response["Location"]).status_code == 302
