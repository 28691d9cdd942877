"""An action plan in Excel: export any plan, and read a workbook back into a plan file.

The layout is the seed's action-plan table, one activity a row: heading rows
for priorities, specific objectives and measures ("Prioriteti 1: …",
"Objektivi specifik 1.1: …", "Masa 1: …"), then the activity, indicator,
start and end years, budget and funding source, lead and contributing
institution. An activity with several budget lines (or, in an export,
several targets) continues on the rows below it with its activity cells empty.

`parse_workbook` reads the sheets `socialplan.uploads.read_xlsx` returns into
a validated `PlanFile` and a list of every problem, each with its sheet, row
and column. It never writes: the import view shows the result and, once the
user confirms, `loader.write_plan` writes it in one transaction.
"""

import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from socialplan.uploads import FORMULA_START, Sheet, safe_cell

from .models import Activity, DeclaredTotal, FundingSource, Plan
from .reconciliation import Amounts
from .schema import PlanFile, TargetIn
from .targets import split_indicator

ACTION_SHEET = "Plani i veprimit"
TOTALS_SHEET = "Totalet e deklaruara"
PLAN_SHEET = "Plani"

# The action-plan sheet's columns, in the order an export writes them.
COLUMNS = [
    ("priority", "Prioriteti"),
    ("objective", "Objektivi specifik"),
    ("measure", "Masa"),
    ("code", "Kodi"),
    ("activity", "Aktiviteti"),
    ("parent", "Prind"),
    ("indicator", "Indikatori"),
    ("start", "Fillimi"),
    ("end", "Mbarimi"),
    ("amount", "Buxheti (lekë)"),
    ("per_year", "Për vit"),
    ("source", "Burimi"),
    ("funder", "Financuesi"),
    ("printed", "Teksti i buxhetit"),
    ("lead", "Institucioni udhëheqës"),
    ("contributor", "Institucioni kontribues"),
    # Beyond the seed's table, so that an export keeps everything the plan holds.
    ("interpretation", "Interpretimi i shumës"),
    ("notes", "Shënime"),
    ("target", "Synimi"),
    ("target_value", "Vlera e synimit"),
    ("target_unit", "Njësia e synimit"),
    ("target_per", "Synimi për"),
    ("target_years", "Vitet e synimit"),
]
HEADERS = dict(COLUMNS)

# How a header cell is recognised (on lower-case text without diacritics).
# Order matters: "Buxheti dhe burimi i financimit" is the budget column,
# "Teksti i buxhetit" the printed text.
_HEADER_RULES = [
    ("target_value", r"vlera e synimit|target value"),
    ("target_unit", r"njesia e synimit|target unit"),
    ("target_per", r"synimi per\b|target per\b"),
    ("target_years", r"vitet e synimit|target years"),
    ("target", r"^synimi?$|^targets?$"),
    ("interpretation", r"interpret"),
    ("notes", r"\bshenim|^notes?$"),
    ("printed", r"teksti i buxhetit|as printed"),
    ("funder", r"financues|\bfunder\b|^donatori$"),
    ("per_year", r"^(per|ne) vit$|^per year$"),
    ("amount", r"buxhet|budget|kosto"),
    ("source", r"burim|source"),
    ("lead", r"udheheq|\blead\b"),
    ("contributor", r"kontribu|contribut"),
    ("start", r"fillim|\bstart\b"),
    ("end", r"mbarim|\bend\b"),
    ("indicator", r"indikator|tregues|indicator"),
    ("parent", r"\bprind|\bparent\b"),
    ("code", r"^kodi\b|^code$"),
    ("activity", r"aktivitet|activit"),
    # The seed's first column, "Objektivat", holds the measures' headings.
    ("heading", r"^objektivat$|objektiv\w* (ose |dhe )?mas"),
    ("objective", r"objektiv|objective"),
    ("measure", r"^mas(a|at)\b|measure"),
    ("priority", r"prioritet|priority"),
]
_ACTIVITY_KEYS = (
    "code", "activity", "parent", "indicator", "start", "end", "lead", "contributor", "notes",
)  # fmt: skip
_BUDGET_KEYS = ("amount", "per_year", "source", "funder", "printed", "interpretation")
_TARGET_KEYS = ("target", "target_value", "target_unit", "target_per", "target_years")

# Funding sources: the label an export writes, and what an import also accepts.
SOURCE_LABELS = {
    FundingSource.MUNICIPALITY: "Bashkia",
    FundingSource.DONOR: "Donator",
    FundingSource.DONOR_UNCOVERED: "Donator i pambuluar",
    FundingSource.CENTRAL_GOVERNMENT: "Ministria/Qeveria qendrore",
    FundingSource.PROVIDER: "Ofruesi",
    FundingSource.UNKNOWN: "(bosh)",
}
_SOURCE_WORDS = {
    FundingSource.MUNICIPALITY: [
        "bashkia", "bashkia me fondet e veta", "fondet e bashkise", "buxheti i bashkise",
        "municipality",
    ],
    FundingSource.DONOR: ["donator", "donatore", "donor"],
    FundingSource.DONOR_UNCOVERED: ["donator i pambuluar", "i pambuluar", "pambuluar"],
    FundingSource.CENTRAL_GOVERNMENT: [
        "ministria", "ministria qeveria qendrore", "qeveria qendrore", "qeveria", "fondi social",
        "shssh", "mshms", "central government",
    ],
    FundingSource.PROVIDER: ["ofruesi", "ojf", "fonde te ofruesit", "provider"],
    FundingSource.UNKNOWN: ["bosh", "unknown"],
}  # fmt: skip
WHERE_LABELS = {
    DeclaredTotal.Where.SUMMARY_TABLE: "Tabela përmbledhëse",
    DeclaredTotal.Where.ACTION_PLAN_TOTAL: "Totali i planit të veprimit",
    DeclaredTotal.Where.ACTION_SHEET: "Fleta e veprimit",
}
GROUP_LABELS = {
    DeclaredTotal.Group.TOTAL: "Totali",
    DeclaredTotal.Group.MUNICIPALITY: "Bashkia",
    DeclaredTotal.Group.NON_MUNICIPAL: "Jo nga bashkia",
}
TOTALS_COLUMNS = [
    ("priority", "Prioriteti", r"prioritet|priority"),
    ("objective", "Objektivi specifik", r"objektiv|objective"),
    ("where", "Ku shtypet", r"^ku\b|where"),
    ("group", "Grupi", r"grup|group"),
    ("printed", "Teksti", r"tekst|printed"),
    ("amount", "Shuma (lekë)", r"shuma|amount"),
    ("label", "Etiketa", r"etiket|label"),
]
PLAN_FIELDS = [
    ("slug", "Slug"),
    ("title", "Titulli"),
    ("municipality", "Bashkia"),
    ("period_start", "Fillimi i periudhës"),
    ("period_end", "Mbarimi i periudhës"),
    ("vision", "Vizioni"),
    ("mission", "Misioni"),
    ("general_goal", "Qëllimi i përgjithshëm"),
]
PER_LABELS = {"year": "vit", "period": "periudhë"}
YES = "po"


def normalise(text: str) -> str:
    """Lower case, no diacritics, words separated by single spaces: for matching only."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# ------------------------------------------------------------------ export


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def export_plan(plan: Plan) -> bytes:
    """The plan as a workbook in the action-plan layout; every budget line and target survives."""
    book = Workbook()
    sheet = book.active
    sheet.title = ACTION_SHEET
    sheet.append([label for _key, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    width = len(COLUMNS)
    index = {key: i for i, (key, _label) in enumerate(COLUMNS)}

    def heading(text):
        sheet.append([safe_cell(text)])
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row, 1).font = Font(bold=True)

    activities = Activity.objects.select_related("parent").prefetch_related(
        "targets", "budget_lines"
    )
    priorities = plan.priorities.prefetch_related(
        Prefetch("objectives__measures__activities", queryset=activities)
    )
    for priority in priorities:
        heading(f"Prioriteti {priority.number}: {priority.title}")
        for objective in priority.objectives.all():
            printed = f" ({objective.printed_code})" if objective.printed_code else ""
            heading(f"Objektivi specifik {objective.code}{printed}: {objective.title}")
            for measure in objective.measures.all():
                heading(f"Masa {measure.number}: {measure.title}")
                for activity in measure.activities.all():
                    lines = list(activity.budget_lines.all())
                    targets = list(activity.targets.all())
                    for i in range(max(len(lines), len(targets), 1)):
                        row = [None] * width
                        if i == 0:
                            values = {
                                "priority": priority.number,
                                "objective": objective.code,
                                "measure": measure.number,
                                "code": activity.code,
                                "activity": activity.title,
                                "parent": activity.parent.code if activity.parent else "",
                                "indicator": activity.indicator,
                                "start": activity.start_year,
                                "end": activity.end_year,
                                "lead": activity.lead,
                                "contributor": activity.contributor,
                                "notes": activity.notes,
                            }
                            for key, value in values.items():
                                row[index[key]] = value
                        if i < len(lines):
                            line = lines[i]
                            row[index["amount"]] = line.amount
                            row[index["per_year"]] = YES if line.per_year else ""
                            row[index["source"]] = SOURCE_LABELS[line.source]
                            row[index["funder"]] = line.funder
                            row[index["printed"]] = line.printed
                            row[index["interpretation"]] = line.interpretation
                        if i < len(targets):
                            target = targets[i]
                            row[index["target"]] = target.text
                            row[index["target_value"]] = _number(target.value)
                            row[index["target_unit"]] = target.unit
                            row[index["target_per"]] = PER_LABELS.get(target.per, "")
                            row[index["target_years"]] = ", ".join(map(str, target.years or []))
                        sheet.append([safe_cell(v) if v != "" else None for v in row])
    for i, (key, _label) in enumerate(COLUMNS, start=1):
        wide = key in ("activity", "indicator", "printed", "lead", "target", "notes")
        sheet.column_dimensions[get_column_letter(i)].width = 40 if wide else 14

    totals = book.create_sheet(TOTALS_SHEET)
    totals.append([label for _key, label, _rule in TOTALS_COLUMNS])
    for cell in totals[1]:
        cell.font = Font(bold=True)
    for total in plan.declared_totals.select_related("priority", "objective"):
        totals.append(
            [
                total.priority.number if total.priority_id else None,
                total.objective.code if total.objective_id else None,
                WHERE_LABELS[total.where],
                GROUP_LABELS[total.group],
                safe_cell(total.printed),
                total.amount,
                safe_cell(total.label) or None,
            ]
        )

    header = book.create_sheet(PLAN_SHEET)
    values = {
        "slug": plan.slug,
        "title": plan.title,
        "municipality": plan.municipality.name,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "vision": plan.vision,
        "mission": plan.mission,
        "general_goal": plan.general_goal,
    }
    for key, label in PLAN_FIELDS:
        header.append([label, safe_cell(values[key]) or None])
        header.cell(header.max_row, 1).font = Font(bold=True)
    header.column_dimensions["A"].width = 24
    header.column_dimensions["B"].width = 100

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ import


@dataclass
class Problem:
    sheet: str
    row: int | None = None
    column: str = ""  # the letter
    header: str = ""  # the column's name in the workbook
    message: str = ""

    def __str__(self):
        if self.row is None:
            where = _("Sheet '%(sheet)s'") % {"sheet": self.sheet} if self.sheet else ""
        elif self.column:
            where = _("Sheet '%(sheet)s', row %(row)s, column %(column)s (%(header)s)") % {
                "sheet": self.sheet,
                "row": self.row,
                "column": self.column,
                "header": self.header,
            }
        else:
            where = _("Sheet '%(sheet)s', row %(row)s") % {"sheet": self.sheet, "row": self.row}
        return f"{where}: {self.message}" if where else self.message


class _Invalid(ValueError):
    """A cell that cannot be read; the message says why."""


def _unescape(text: str) -> str:
    # An export writes "'=…" for text that would start a formula; read it back as written.
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


_AMOUNT = re.compile(r"(-?)\s*(\d[\d ,.\u00a0\u202f]*\d|\d)")
_GROUPED = re.compile(r"\d{1,3}(?:([ ,.])\d{3})(?:\1\d{3})*")
_UNKNOWN_AMOUNT = re.compile(r"\?+|[-–—]|n/?a")
_CURRENCY = re.compile(r"^(lek[eë]?|all)\b\.?", re.IGNORECASE)
_PER_YEAR_TEXT = re.compile(r"^/?\s*(?:(?:per|për|ne|në)\s+)?vit\b", re.IGNORECASE)


def read_amount(text: str) -> tuple[int | None, bool, str]:
    """(lek or None when unknown, printed per year, the text after the amount).

    "1,810,000", "30 000", "30.000 lekë/vit" and "375,000 leke/ Donator" are
    read; a blank or "????" is unknown (None, never 0); a number that mixes
    separators or has a decimal part is refused, never guessed.
    """
    text = text.strip()
    if not text or _UNKNOWN_AMOUNT.fullmatch(text.lower()):
        return None, False, ""
    match = _AMOUNT.match(text)
    if not match:
        raise _Invalid(_("'%(text)s' is not an amount in lek") % {"text": text})
    digits = re.sub(r"[\u00a0\u202f]", " ", match.group(2))
    if match.group(1):
        raise _Invalid(_("'%(text)s' is a negative amount") % {"text": text})
    if re.fullmatch(r"\d+", digits):
        amount = int(digits)
    elif _GROUPED.fullmatch(digits):
        amount = int(re.sub(r"[ ,.]", "", digits))
    else:
        raise _Invalid(
            _("'%(text)s' is not a whole number of lek (separators mixed, or a decimal part)")
            % {"text": text}
        )
    rest = _CURRENCY.sub("", text[match.end() :].strip()).strip()
    per_year = bool(_PER_YEAR_TEXT.match(rest))
    if per_year:
        rest = _PER_YEAR_TEXT.sub("", rest).strip()
    return amount, per_year, rest.strip(" /,-–")


def read_source(text: str) -> str:
    """A funding source code from its label, its code, or a usual wording."""
    words = normalise(text)
    if not words:
        return FundingSource.UNKNOWN
    if text.strip() in FundingSource.values:
        return text.strip()
    for code, label in SOURCE_LABELS.items():
        if words == normalise(label):
            return code
    for code, wordings in _SOURCE_WORDS.items():
        if words in wordings:
            return code
    if "pambuluar" in words.split():
        return FundingSource.DONOR_UNCOVERED
    raise _Invalid(
        _("'%(text)s' is not a known funding source; write one of: %(labels)s")
        % {"text": text, "labels": ", ".join(SOURCE_LABELS.values())}
    )


def read_year(text: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text):
        raise _Invalid(_("'%(text)s' is not a year") % {"text": text})
    year = int(text)
    if not 1990 <= year <= 2100:
        raise _Invalid(_("%(year)s is not a plausible year") % {"year": year})
    return year


def _read_flag(text: str) -> bool:
    words = normalise(text)
    if words in ("", "jo", "no", "false", "0"):
        return False
    if words in ("po", "yes", "true", "1", "x", "vit", "per vit", "ne vit"):
        return True
    raise _Invalid(_("'%(text)s' is neither “po” nor blank") % {"text": text})


def _read_decimal(text: str) -> Decimal:
    # As targets.split_indicator reads them: "1,200" and "1 200" are thousands, "2,5" a decimal.
    if _GROUPED.fullmatch(text):
        return Decimal(re.sub(r"[ ,.]", "", text))
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise _Invalid(_("'%(text)s' is not a number") % {"text": text}) from exc


def _read_per(text: str) -> str | None:
    words = normalise(text)
    if not words:
        return None
    if words in ("vit", "ne vit", "per vit", "year", "per year"):
        return "year"
    if words in ("periudhe", "periudha", "per periudhe", "period", "whole period"):
        return "period"
    raise _Invalid(_("'%(text)s' is neither “vit” nor “periudhë”") % {"text": text})


def _read_years(text: str) -> list[int] | None:
    if not text:
        return None
    return [read_year(part) for part in re.split(r"[\s,;]+", text) if part]


def _read_date(text: str) -> datetime.date:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?", text)
    if match:
        year, month, day = map(int, match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
        if not match:
            raise _Invalid(_("'%(text)s' is not a date (write 2025-01-01)") % {"text": text})
        day, month, year = map(int, match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError as exc:
        raise _Invalid(_("'%(text)s' is not a date (write 2025-01-01)") % {"text": text}) from exc


# Heading texts: "Prioriteti 1: …", "Objektivi specifik 1 (OS1): …", "Masa 3. …".
_SEP = r"\s*[:.)\-–]?\s*"
_PRIORITY = re.compile(rf"^(?:prioriteti|prioritet|priority)\s*(\d+){_SEP}(.*)$", re.I | re.S)
_OBJECTIVE = re.compile(
    rf"^(?:objektivi\s+specifik|objektivi|specific\s+objective|os)\s*(\d+(?:\.\d+)?)"
    rf"\s*(?:\(([^)]*)\))?{_SEP}(.*)$",
    re.I | re.S,
)
_MEASURE = re.compile(rf"^(?:masa|measure)\s*(\d+){_SEP}(.*)$", re.I | re.S)
# The same in a column of their own, where the word may be left out.
_PRIORITY_CELL = re.compile(rf"^(?:prioriteti|prioritet|priority)?\s*(\d+){_SEP}(.*)$", re.I | re.S)
_OBJECTIVE_CELL = re.compile(
    rf"^(?:objektivi\s+specifik|objektivi|specific\s+objective|os)?\s*(\d+(?:\.\d+)?)"
    rf"\s*(?:\(([^)]*)\))?{_SEP}(.*)$",
    re.I | re.S,
)
_MEASURE_CELL = re.compile(rf"^(?:masa|measure)?\s*(\d+){_SEP}(.*)$", re.I | re.S)
_ACTIVITY_CODE = re.compile(r"^((?:A|S)\s*\d+(?:\s*\.\s*\d+)*)\.?\s+(.*)$", re.S)
_TOTAL = re.compile(r"^(total|totali|gjithsej)\b")


def _heading(text: str):
    """(level, number or code, printed code, title) for a heading text, else None."""
    if match := _PRIORITY.match(text):
        return "priority", match.group(1), None, match.group(2)
    if match := _OBJECTIVE.match(text):
        return "objective", match.group(1), match.group(2), match.group(3)
    if match := _MEASURE.match(text):
        return "measure", match.group(1), None, match.group(2)
    return None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Columns:
    """Which column of a sheet holds which field."""

    index: dict[str, int]  # key -> 0-based column
    names: dict[int, str]  # 0-based column -> header text as the workbook prints it

    def letter(self, key: str) -> str:
        return get_column_letter(self.index[key] + 1) if key in self.index else ""


def _match_header(text: str, rules) -> str | None:
    words = normalise(text)
    if not words:
        return None
    for key, pattern in rules:
        if re.search(pattern, words):
            return key
    return None


def _find_header(sheet: Sheet, rules, required: str, look: int = 20):
    """The row (0-based) naming the most known columns, among the first rows, and its columns."""
    best = None
    for r, row in enumerate(sheet.rows[:look]):
        keys = {_match_header(cell, rules) for cell in row} - {None}
        if required in keys and len(keys) >= 3 and (best is None or len(keys) > best[1]):
            best = (r, len(keys))
    return best[0] if best else None


class _Reader:
    """Reads the action-plan sheet row by row, collecting every problem."""

    def __init__(self, sheet: Sheet, problems: list[Problem]):
        self.sheet = sheet
        self.problems = problems
        self.priorities: dict[int, dict] = {}
        self.objectives: dict[str, tuple[int, dict]] = {}
        self.declared: list[dict] = []
        self.priority = self.objective = self.measure = self.activity = None
        self.measure_codes: set[str] = set()
        self.years: list[int] = []

    # -- problems

    def problem(self, row: int, key: str | None, message: str, column: int | None = None):
        if key is not None and key in self.columns.index:
            column = self.columns.index[key]
        letter = get_column_letter(column + 1) if column is not None else ""
        header = self.columns.names.get(column, "") if column is not None else ""
        self.problems.append(Problem(self.sheet.name, row, letter, header, message))

    # -- the header

    def read_header(self) -> int | None:
        r = _find_header(self.sheet, _HEADER_RULES, "activity")
        if r is None:
            return None
        row = self.sheet.rows[r]
        above = self.sheet.rows[r - 1] if r > 0 else []
        index, names = {}, {}
        for c, text in enumerate(row):
            if not text and c < len(above):
                text = above[c]  # a two-level header: "Afati i zbatimit" over its columns
            key = _match_header(text, _HEADER_RULES)
            if key is None:
                continue
            names[c] = text
            if key in index:
                self.columns = _Columns(index, names)
                self.problem(
                    r + 1,
                    None,
                    _("the column '%(name)s' repeats column %(other)s ('%(other_name)s')")
                    % {
                        "name": text,
                        "other": get_column_letter(index[key] + 1),
                        "other_name": names[index[key]],
                    },
                    column=c,
                )
                continue
            index[key] = c
        self.columns = _Columns(index, names)
        return r

    # -- the rows

    def read(self):
        self.columns = _Columns({}, {})
        header = self.read_header()
        if header is None:
            self.problems.append(
                Problem(
                    self.sheet.name,
                    message=_(
                        "no row names the action-plan columns (at least %(names)s) "
                        "in the first 20 rows"
                    )
                    % {"names": ", ".join((HEADERS["activity"], HEADERS["indicator"], "…"))},
                )
            )
            return
        for r, row in enumerate(self.sheet.rows[header + 1 :], start=header + 2):
            self.read_row(r, [_unescape(cell) for cell in row])

    def cell(self, row: list[str], key: str) -> str:
        c = self.columns.index.get(key)
        return row[c] if c is not None and c < len(row) else ""

    def read_row(self, r: int, row: list[str]):
        filled = [(c, text) for c, text in enumerate(row) if text]
        if not filled:
            return
        first_column, first = filled[0]
        if _TOTAL.match(normalise(first)):
            self.read_total(r, row, first)
            return
        if len(filled) == 1 and (heading := _heading(first)):
            self.apply(r, None, *heading, column=first_column)
            return
        for key, pattern in (
            ("priority", _PRIORITY_CELL),
            ("objective", _OBJECTIVE_CELL),
            ("heading", None),
            ("measure", _MEASURE_CELL),
        ):
            text = self.cell(row, key)
            if not text:
                continue
            if key == "heading":
                parsed = _heading(text)
                if parsed is None or parsed[0] == "priority":
                    self.problem(
                        r,
                        key,
                        _("'%(text)s' is neither 'Objektivi specifik N: …' nor 'Masa N: …'")
                        % {"text": text},
                    )
                    continue
                self.apply(r, key, *parsed)
                continue
            match = pattern.match(text)
            if not match:
                self.problem(r, key, _("'%(text)s' does not start with a number") % {"text": text})
                continue
            groups = match.groups()
            if key == "objective":
                self.apply(r, key, key, groups[0], groups[1], groups[2])
            else:
                self.apply(r, key, key, groups[0], None, groups[1])
        if any(self.cell(row, k) for k in _ACTIVITY_KEYS):
            self.read_activity(r, row)
        if any(self.cell(row, k) for k in _BUDGET_KEYS):
            self.read_budget(r, row)
        if any(self.cell(row, k) for k in _TARGET_KEYS):
            self.read_target(r, row)

    # -- priorities, objectives, measures

    def apply(self, r, key, level, number, printed_code, title, column=None):
        title = _clean(title or "")
        at = {"column": column} if key is None else {}
        if level == "priority":
            self.set_priority(r, key, int(number), title, at)
        elif level == "objective":
            self.set_objective(r, key, number, _clean(printed_code or ""), title, at)
        else:
            self.set_measure(r, key, int(number), title, at)

    def _check_title(self, r, key, existing, title, what, at):
        if not existing["title"]:
            existing["title"] = title
        elif title and title != existing["title"]:
            self.problem(
                r,
                key,
                _("%(what)s is already titled '%(title)s' above")
                % {"what": what, "title": existing["title"]},
                **at,
            )

    def set_priority(self, r, key, number, title, at):
        what = _("priority %(n)s") % {"n": number}
        existing = self.priorities.get(number)
        if existing is None:
            if not title:
                self.problem(
                    r,
                    key,
                    _("%(what)s has no title: write 'Prioriteti %(n)s: title' the first time")
                    % {"what": what, "n": number},
                    **at,
                )
            existing = {"number": number, "title": title, "line": r, "objectives": []}
            self.priorities[number] = existing
        else:
            self._check_title(r, key, existing, title, what, at)
        if existing is not self.priority:
            self.priority, self.objective, self.measure, self.activity = existing, None, None, None

    def set_objective(self, r, key, code, printed_code, title, at):
        if self.priority is None:
            self.problem(
                r,
                key,
                _("an objective before any priority: write 'Prioriteti N: title' above it"),
                **at,
            )
            return
        if "." not in code:
            # "Objektivi specifik 1 (OS1)" under priority 1 is objective 1.1.
            printed_code = printed_code or code
            code = f"{self.priority['number']}.{code}"
        what = _("objective %(code)s") % {"code": code}
        found = self.objectives.get(code)
        if found is None:
            if not title:
                self.problem(
                    r,
                    key,
                    _("%(what)s has no title: write 'Objektivi specifik %(code)s: title' first")
                    % {"what": what, "code": code},
                    **at,
                )
            existing = {
                "code": code,
                "printed_code": printed_code or None,
                "title": title,
                "line": r,
                "measures": [],
            }
            self.objectives[code] = (self.priority["number"], existing)
            self.priority["objectives"].append(existing)
        else:
            number, existing = found
            if number != self.priority["number"]:
                self.problem(
                    r,
                    key,
                    _("objective %(code)s belongs to priority %(n)s, not to priority %(m)s")
                    % {"code": code, "n": number, "m": self.priority["number"]},
                    **at,
                )
                return
            self._check_title(r, key, existing, title, what, at)
        if existing is not self.objective:
            self.objective, self.measure, self.activity = existing, None, None

    def set_measure(self, r, key, number, title, at):
        if self.objective is None:
            self.problem(
                r,
                key,
                _("a measure before any objective: write 'Objektivi specifik N: title' above it"),
                **at,
            )
            return
        what = _("measure %(n)s of objective %(code)s") % {
            "n": number,
            "code": self.objective["code"],
        }
        existing = next((m for m in self.objective["measures"] if m["number"] == number), None)
        if existing is None:
            if not title:
                self.problem(
                    r,
                    key,
                    _("%(what)s has no title: write 'Masa %(n)s: title' the first time")
                    % {"what": what, "n": number},
                    **at,
                )
            existing = {"number": number, "title": title, "line": r, "activities": []}
            self.objective["measures"].append(existing)
        else:
            self._check_title(r, key, existing, title, what, at)
        if existing is not self.measure:
            self.measure, self.activity = existing, None
            self.measure_codes = {a["code"] for a in existing["activities"] if a["code"]}

    # -- activities, budget lines, targets

    def read_activity(self, r, row):
        title = _clean(self.cell(row, "activity"))
        code = _clean(self.cell(row, "code")).rstrip(".").strip()
        if "code" not in self.columns.index and (match := _ACTIVITY_CODE.match(title)):
            code, title = _clean(match.group(1)), _clean(match.group(2))
        activity = {
            "code": code,
            "title": title,
            "line": r,
            "indicator": _clean(self.cell(row, "indicator")) or None,
            "start_year": None,
            "end_year": None,
            "lead": _clean(self.cell(row, "lead")) or None,
            "contributor": _clean(self.cell(row, "contributor")) or None,
            "notes": self.cell(row, "notes") or None,
            "budget": [],
            "targets": [] if "target" in self.columns.index else None,
        }
        for key, name in (("start", "start_year"), ("end", "end_year")):
            try:
                activity[name] = read_year(self.cell(row, key))
            except _Invalid as exc:
                self.problem(r, key, str(exc))
            if activity[name]:
                self.years.append(activity[name])
        if "parent" in self.columns.index:
            parent = _clean(self.cell(row, "parent")) or None
            if parent and parent not in self.measure_codes:
                self.problem(
                    r,
                    "parent",
                    _("'%(code)s' is not an activity listed above it in the same measure")
                    % {"code": parent},
                )
        else:
            # "A 1.2.1" under "A 1.2": the longest code listed above that it extends.
            prefixes = [c for c in self.measure_codes if code.startswith(c + ".")]
            parent = max(prefixes, key=len) if prefixes else None
        activity["parent"] = parent
        self.activity = activity
        if self.measure is None:
            self.problem(
                r,
                "activity" if title else None,
                _("an activity before any measure: write 'Masa N: title' above it"),
                column=None if title else next(c for c, t in enumerate(row) if t),
            )
            return
        self.measure["activities"].append(activity)
        if code:
            self.measure_codes.add(code)

    def read_budget(self, r, row):
        if self.activity is None:
            self.problem(r, "amount", _("a budget line with no activity on this row or above it"))
            return
        amount_text = self.cell(row, "amount")
        source_text = self.cell(row, "source")
        source_key = "source"
        amount, per_year = None, False
        try:
            amount, per_year, rest = read_amount(amount_text)
            if rest and not source_text:
                # "375,000 leke/ Donator , I pambuluar": budget and source in one cell.
                source_text, source_key = rest, "amount"
        except _Invalid as exc:
            self.problem(r, "amount", str(exc))
        try:
            per_year = _read_flag(self.cell(row, "per_year")) or per_year
        except _Invalid as exc:
            self.problem(r, "per_year", str(exc))
        source = FundingSource.UNKNOWN
        try:
            source = read_source(source_text)
        except _Invalid as exc:
            self.problem(r, source_key, str(exc))
        printed = _clean(self.cell(row, "printed") or amount_text)
        self.activity["budget"].append(
            {
                "printed": printed,
                "amount": amount,
                "per_year": per_year,
                "source": source,
                "funder": _clean(self.cell(row, "funder")) or None,
                "line": r,
                "interpretation": self.cell(row, "interpretation") or None,
            }
        )

    def read_target(self, r, row):
        text = _clean(self.cell(row, "target"))
        if not text:
            self.problem(r, "target", _("a target needs its text in this column"))
            return
        if self.activity is None or self.activity["targets"] is None:
            self.problem(r, "target", _("a target with no activity on this row or above it"))
            return
        values = {"text": text, "unit": _clean(self.cell(row, "target_unit"))}
        for key, name, read in (
            ("target_value", "value", _read_decimal),
            ("target_per", "per", _read_per),
            ("target_years", "years", _read_years),
        ):
            cell = self.cell(row, key)
            try:
                values[name] = read(cell) if cell else None
            except _Invalid as exc:
                self.problem(r, key, str(exc))
                return
        values["parsed"] = values["value"] is not None
        if values["parsed"] and values["per"] is None:
            self.problem(
                r,
                "target_per",
                _("a target with a value needs “vit” (per year) or “periudhë” (whole period)"),
            )
            return
        try:
            self.activity["targets"].append(TargetIn(**values).model_dump())
        except ValidationError as exc:
            self.problem(r, "target", "; ".join(e["msg"] for e in exc.errors()))

    # -- totals printed in the table

    def read_total(self, r, row, label):
        amount_text = self.cell(row, "amount")
        try:
            amount, _per_year, _rest = read_amount(amount_text)
        except _Invalid as exc:
            self.problem(r, "amount", str(exc))
            return
        if amount is None:
            self.problem(
                r, "amount", _("the total row '%(label)s' has no amount") % {"label": label}
            )
            return
        words = normalise(label)
        if match := re.search(r"prioritet\w*\s*(\d+)", words):
            priority = int(match.group(1))
        elif re.search(r"\bplan|pergjithshem|gjithsej", words):
            priority = None
        else:
            priority = self.priority["number"] if self.priority else None
        if priority is not None and priority not in self.priorities:
            self.problem(
                r,
                None,
                _("the total row '%(label)s' names priority %(n)s, which is not in the table")
                % {"label": label, "n": priority},
            )
            return
        self.declared.append(
            {
                "priority": priority,
                "objective": None,
                "where": DeclaredTotal.Where.ACTION_PLAN_TOTAL,
                "group": DeclaredTotal.Group.TOTAL,
                "printed": _clean(amount_text),
                "amount": amount,
                "line": r,
                "label": _clean(label),
            }
        )
        self.activity = None


def _read_number(text: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise _Invalid(_("'%(text)s' is not a number") % {"text": text})
    return int(text)


def _lookup(labels: dict, text: str):
    words = normalise(text)
    for code, label in labels.items():
        if words in (normalise(label), normalise(code)):
            return code
    raise _Invalid(
        _("'%(text)s' is not one of: %(labels)s")
        % {"text": text, "labels": ", ".join(labels.values())}
    )


def _read_totals(sheet: Sheet, problems: list[Problem]) -> list[tuple[dict, str]]:
    rules = [(key, rule) for key, _label, rule in TOTALS_COLUMNS]
    r = _find_header(sheet, rules, "amount", look=5)
    if r is None:
        problems.append(
            Problem(
                sheet.name,
                message=_("no header row naming %(names)s")
                % {"names": ", ".join(label for _k, label, _r in TOTALS_COLUMNS)},
            )
        )
        return []
    index = {}
    for c, text in enumerate(sheet.rows[r]):
        key = _match_header(text, rules)
        if key and key not in index:
            index[key] = c
    names = {c: sheet.rows[r][c] for c in index.values()}
    totals = []
    for number, row in enumerate(sheet.rows[r + 1 :], start=r + 2):
        row = [_unescape(cell) for cell in row]
        if not any(row):
            continue

        def cell(key, row=row):
            c = index.get(key)
            return row[c] if c is not None and c < len(row) else ""

        def problem(key, message, number=number):
            c = index.get(key)
            letter = get_column_letter(c + 1) if c is not None else ""
            problems.append(Problem(sheet.name, number, letter, names.get(c, ""), message))

        total = {"line": number, "label": cell("label"), "objective": cell("objective") or None}
        ok = True
        for key, read in (
            ("priority", _read_number),
            ("where", lambda t: _lookup(WHERE_LABELS, t)),
            ("group", lambda t: _lookup(GROUP_LABELS, t)),
        ):
            try:
                total[key] = read(cell(key))
            except _Invalid as exc:
                problem(key, str(exc))
                ok = False
        try:
            amount, _per, _rest = read_amount(cell("amount"))
            if amount is None:
                raise _Invalid(_("a declared total needs an amount"))
            total["amount"] = amount
        except _Invalid as exc:
            problem("amount", str(exc))
            ok = False
        else:
            total["printed"] = cell("printed") or cell("amount")
        if ok:
            totals.append((total, sheet.name))
    return totals


def _read_plan_sheet(sheet: Sheet, problems: list[Problem]) -> dict:
    labels = {normalise(label): key for key, label in PLAN_FIELDS}
    header = {}
    for number, row in enumerate(sheet.rows, start=1):
        if not row or not row[0]:
            continue
        key = labels.get(normalise(row[0]))
        value = _unescape(row[1]) if len(row) > 1 else ""
        if key is None or not value:
            continue
        if key in ("period_start", "period_end"):
            try:
                header[key] = _read_date(value)
            except _Invalid as exc:
                problems.append(Problem(sheet.name, number, "B", row[0], str(exc)))
        elif key in ("vision", "mission", "general_goal"):
            header[key] = {"text": value, "line": number}
    return header


def _find_sheet(sheets: list[Sheet], name: str) -> Sheet | None:
    return next((s for s in sheets if normalise(s.name) == normalise(name)), None)


def _locate(data: dict, loc: tuple, main: str, total_sheets: list[str]) -> tuple[str, int | None]:
    """The sheet and row of the entry a validation error points at."""
    if loc and loc[0] == "declared_totals" and len(loc) > 1 and isinstance(loc[1], int):
        entry = data["declared_totals"][loc[1]]
        return total_sheets[loc[1]], entry.get("line")
    node, row = data, None
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and node.get("line"):
            row = node["line"]
    return main, row


def parse_workbook(
    sheets: list[Sheet],
    *,
    municipality_code: str,
    municipality_name: str,
    slug: str,
    title: str,
    source: str = "",
) -> tuple[PlanFile | None, list[Problem]]:
    """A plan file from a workbook, or None and every problem found. Writes nothing."""
    problems: list[Problem] = []
    main = _find_sheet(sheets, ACTION_SHEET)
    if main is None:
        main = next(
            (s for s in sheets if _find_header(s, _HEADER_RULES, "activity") is not None), None
        )
    if main is None:
        name = sheets[0].name if sheets else ACTION_SHEET
        problems.append(
            Problem(
                name,
                message=_(
                    "no sheet is an action plan: name it '%(sheet)s' and give it a header row "
                    "with at least the columns %(names)s"
                )
                % {
                    "sheet": ACTION_SHEET,
                    "names": ", ".join(HEADERS[k] for k in ("activity", "indicator", "start")),
                },
            )
        )
        return None, problems
    reader = _Reader(main, problems)
    reader.read()

    totals_sheet = _find_sheet(sheets, TOTALS_SHEET)
    declared = [(t, main.name) for t in reader.declared]
    if totals_sheet is not None:
        declared += _read_totals(totals_sheet, problems)
    plan_sheet = _find_sheet(sheets, PLAN_SHEET)
    header = _read_plan_sheet(plan_sheet, problems) if plan_sheet is not None else {}

    priorities = list(reader.priorities.values())
    if not priorities and not problems:
        problems.append(
            Problem(main.name, message=_("the sheet has no priority ('Prioriteti 1: title')"))
        )
    if "period_start" not in header or "period_end" not in header:
        if reader.years:
            header.setdefault("period_start", datetime.date(min(reader.years), 1, 1))
            header.setdefault("period_end", datetime.date(max(reader.years), 12, 31))
        elif priorities:
            problems.append(
                Problem(
                    main.name,
                    message=_(
                        "no period: give start and end years to the activities, or the rows "
                        "'%(start)s' and '%(end)s' on a sheet '%(sheet)s'"
                    )
                    % {
                        "start": "Fillimi i periudhës",
                        "end": "Mbarimi i periudhës",
                        "sheet": PLAN_SHEET,
                    },
                )
            )
    for priority in priorities:
        for objective in priority["objectives"]:
            for measure in objective["measures"]:
                for activity in measure["activities"]:
                    if activity["targets"] is None:
                        # No reviewed split in the workbook: split the printed text.
                        activity["targets"] = [
                            t.model_dump() for t in split_indicator(activity["indicator"] or "")
                        ]
    if problems:
        return None, problems

    data = {
        "format": "psv-plan/1",
        "municipality": {"code": municipality_code, "name": municipality_name},
        "plan": {"slug": slug, "title": title, "source": source, **header},
        "priorities": priorities,
        "declared_totals": [t for t, _sheet in declared],
    }
    try:
        return PlanFile.model_validate(data), problems
    except ValidationError as exc:
        sheets_of_totals = [s for _t, s in declared]
        for err in exc.errors():
            loc = tuple(err["loc"])
            sheet, row = _locate(data, loc, main.name, sheets_of_totals)
            field_name = ".".join(str(part) for part in loc)
            message = f"{err['msg']} ({field_name})" if field_name else err["msg"]
            problems.append(Problem(sheet, row, message=message))
        return None, problems


# ------------------------------------------------------------------ preview


@dataclass
class ImportSummary:
    """What an import will create, for the preview page."""

    priorities: int = 0
    objectives: int = 0
    measures: int = 0
    activities: int = 0
    targets: int = 0
    declared_totals: int = 0
    # Computed as the budget page computes it: per-year lines once per year.
    amounts: Amounts = field(default_factory=Amounts)
    first_activities: list = field(default_factory=list)


def summarise(parsed: PlanFile, first: int = 10) -> ImportSummary:
    summary = ImportSummary(
        priorities=len(parsed.priorities), declared_totals=len(parsed.declared_totals)
    )
    amounts = summary.amounts
    for priority in parsed.priorities:
        for objective in priority.objectives:
            summary.objectives += 1
            for measure in objective.measures:
                summary.measures += 1
                for activity in measure.activities:
                    summary.activities += 1
                    summary.targets += len(activity.targets or [])
                    years = 1
                    if activity.start_year and activity.end_year:
                        years = abs(activity.end_year - activity.start_year) + 1
                    for line in activity.budget:
                        amounts.line_count += 1
                        if line.amount is None:
                            amounts.unknown_lines += 1
                            continue
                        amounts.by_source[line.source] += line.amount * (
                            years if line.per_year else 1
                        )
                        amounts.printed_once += line.amount
                    if len(summary.first_activities) < first:
                        summary.first_activities.append((objective.code, measure.number, activity))
    return summary
