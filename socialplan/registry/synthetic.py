"""A SYNTHETIC population of a municipality, for demos and benchmarks.

Every person made here is invented and marked ``Person.synthetic = True``:
names are drawn from the lists of common Albanian first names and surnames
below (written for this module, no real people), national IDs are random
digits in the Albanian format, addresses are made up. Cases, referrals and
the rest hang from those people only, and ``clear_synthetic`` removes them
again without touching any real row.

What is made, for N people:

- households of 1-7 members around one person in need (the "index" person),
  with a head and relationships; each household lives in a unit drawn by the
  unit's population (civil register, latest year; the urban area's figure is
  shared equally by the urban units);
- categories in need in the proportions of the municipality's needs figures:
  the headline figure of each category (directory.coverage), the total of
  disability payments for persons with disabilities (split between children
  and adults by the percentages printed for each), and, where the database
  has no figure, the documented FALLBACK_FIGURES / ASSUMED_FIGURES below;
- needs assessments for ~60% of the people in categories, and cases for ~40%
  of them at every step of the lifecycle, with a history that follows
  cases.TRANSITIONS (a few reopened), deadlines (some overdue), notes, case
  conferences, consents and referrals to active services of the directory;
- staff: demo accounts (``demo.njvrn``, ``demo.admin.<unit>``, ``demo.pmf``,
  ``demo.dhuna``) with memberships in the municipality and unusable passwords.
  Synthetic cases are never given to real staff.

Output is the same for the same seed, the same "as of" date and the same
database content (existing national IDs and references are avoided).

Rows are written with bulk_create. Their timestamps are part of the made-up
history, so auto_now / auto_now_add are switched off for the few seconds of
the write (see _given_timestamps): run this from the management command, not
from a web process.
"""

import datetime
import random
import time
import zoneinfo
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from socialplan.accounts.audit import record
from socialplan.accounts.models import Membership
from socialplan.cases.models import (
    Case,
    CaseConference,
    CaseEvent,
    CaseNote,
    Consent,
    Referral,
    Status,
    deadline_days,
)
from socialplan.cases.references import next_case_references, next_referral_references
from socialplan.directory.coverage import compute_coverage
from socialplan.directory.models import Category, Service, fold
from socialplan.needs.models import NeedFigure
from socialplan.territory.models import AdministrativeUnit, PopulationFigure

from .models import Assessment, Household, Person, PersonCategory

Role = Membership.Role
Rel = Person.Relationship
F, M = Person.Sex.FEMALE, Person.Sex.MALE

# The made-up history runs from here to the day before "as of".
EPOCH = datetime.date(2025, 1, 1)
TZ = zoneinfo.ZoneInfo("Europe/Tirane")
BATCH = 1000

# Shares of the generated population.
CASE_SHARE = 0.40  # of the people in categories
ASSESSED_SHARE = 0.60  # of the people in categories
NATIONAL_ID_SHARE = 0.70  # of adults
SECOND_CATEGORY_SHARE = 0.30  # of households: a second member (or the same) in a category
OVERDUE_SHARE = 0.25  # of open cases
REOPENED_SHARE = 0.06  # of cases past identification
DECLINED_SHARE = 0.12  # of cases that go through a referral
OVERRIDE_SHARE = 0.10  # of referrals by roles that may refer without consent

# Figures of need used when the database has none for a category: the seed
# plan of Durrës (statistics annex and text), as the needs data file records them.
FALLBACK_FIGURES = {
    "families_in_need": 141,  # families on economic aid, May 2024 (text, line 180)
    "children_at_risk": 1288,  # Tab 19, "Total A", 2024
    "elderly": 1926,  # Tab 20, elderly in need, municipality total 2024
    "domestic_violence": 174,  # Tab 23, victims of domestic violence, 2024
}
# Persons receiving the disability payment (Tab 9 and Tab 12 totals, 2024) and
# the share of children among them (Tab 11: minors 11% + 14%, adults 37% + 37%).
FALLBACK_DISABILITY_TOTAL = 3172
FALLBACK_CHILD_DISABILITY_SHARE = 25 / 99
# No figure of need is printed for these: assumptions, small on purpose, so a
# demo shows a few people in each (the rare ones are special categories).
ASSUMED_FIGURES = {
    "youth_at_risk": 150,
    "roma_egyptian": 400,
    "trafficking": 20,
    "alcohol_use": 30,
    "drug_use": 30,
    "lgbtiq": 15,
}
# Categories below this share of the mix still get one person early on.
RARE_SHARE = 0.01

# --- made-up names ----------------------------------------------------------
# Common Albanian first names by generation (born before 1960, 1960-1989,
# 1990 and later) and common surnames. Any person is a random combination.
MALE_NAMES = (
    "Bajram Hysen Qazim Xhemal Ramazan Shaban Sabri Muharrem Hamdi Gani Llesh Pjetër Nikollë "
    "Rexhep Selim Isuf Zenel Halil Fiqiri Veli".split(),
    "Agim Arben Artan Besnik Bujar Dritan Edmond Fatmir Gëzim Ilir Kujtim Luan Naim Petrit Sokol "
    "Shpëtim Valmir Ylli Artur Gentian Kastriot Nertil Fatos Ardit".split(),
    "Ardi Aron Enea Ergi Erion Klajdi Kristi Luis Noel Joel Mateo Dion Elton Endri Jurgen Klaus "
    "Roan Sidrit Alesio Amar Ervin Orges Redi Andi".split(),
)
FEMALE_NAMES = (
    "Hatixhe Myzejen Sabrie Shpresa Feride Lule Mukadez Bukurie Drane Vera Liri Fatime Hava "
    "Zenepe Qamile Sanije Dije Mrika File Tefta".split(),
    "Anila Arta Blerina Brunilda Drita Elona Entela Fatjona Gentiana Jonida Lindita Mimoza "
    "Rozeta Sonila Valbona Vjollca Manjola Mirela Eda Ermira Alma Rudina Etleva Teuta".split(),
    "Ajla Amelia Aurora Dea Ema Enxhi Ersa Kejsi Klea Lea Sara Xhesika Ana Anxhela Bora Dorina "
    "Elisa Erisa Kiara Megi Olsa Rea Greta Noa".split(),
)
SURNAMES = (
    "Hoxha Shehu Leka Gjoka Kola Dervishi Çela Marku Prifti Duka Basha Mema Hysa Lika Bregu "
    "Kapllani Muça Xhafa Dedja Gjini Hasani Koçi Tafa Zeqiri Sula Elezi Lleshi Hyseni Rrapaj "
    "Domi Cani Ndreu Kamberi Bardhi Kraja Lamaj Malaj Pepa Sinani Toska Vata Zela Beqiri Dauti "
    "Fejzo Gega Isufi Kuka Mullai Nika Osmani Pali Rexha Shkurti Tola Ymeri Bushi Cenaj"
).split()
STREETS = (
    "e Shkollës|e Ullinjve|e Pishave|e Detit|e Kalasë|e Fushës|e Luleve|e Rrapit|e Portit|"
    "e Stacionit|e Kodrës|e Vreshtave|e Bregut|e Mullirit|e Arave|e Pazarit|e Ujësjellësit|"
    "e Kanalit|e Kopshteve|e Shegëve|e Fikut|e Lisit|e Agimit|e Pranverës|e Bletëve"
).split("|")

# --- categories --------------------------------------------------------------
# code: (minimum age, maximum age) on the "as of" day.
AGES = {
    "children_at_risk": (0, 17),
    "children_disability": (0, 17),
    "adults_disability": (18, 120),
    "youth_at_risk": (14, 25),
    "elderly": (65, 120),
    "domestic_violence": (16, 120),
    "trafficking": (14, 45),
    "alcohol_use": (16, 120),
    "drug_use": (14, 120),
    "lgbtiq": (16, 120),
    "roma_egyptian": (0, 120),
    "families_in_need": (18, 120),
}
DETAILS = {
    "families_in_need": ["ndihmë ekonomike e plotë", "ndihmë ekonomike e pjesshme"],
    "children_at_risk": [
        "nuk shkon në shkollë rregullisht",
        "pa kujdes prindëror",
        "i shfrytëzuar për punë",
        "në situatë rruge",
        "në konflikt me ligjin",
        "viktimë e dhunës",
        "jeton në familje me ndihmë ekonomike",
    ],
    "children_disability": [
        "aftësi e kufizuar mendore",
        "aftësi e kufizuar fizike",
        "dëmtim i shikimit",
        "spektri i autizmit",
    ],
    "adults_disability": [
        "para/tetraplegji",
        "dëmtim i shikimit",
        "aftësi e kufizuar mendore",
        "aftësi e kufizuar fizike",
    ],
    "youth_at_risk": ["jashtë shkollës dhe punës", "në konflikt me ligjin", "braktisje shkollore"],
    "elderly": [
        "jeton vetëm",
        "sëmundje kronike",
        "ka nevojë për kujdes në shtëpi",
        "të ardhura të pamjaftueshme",
    ],
    "domestic_violence": ["urdhër mbrojtjeje (UM)", "urdhër mbrojtjeje i menjëhershëm (UMM)", ""],
    "trafficking": ["viktimë e mundshme", "viktimë e identifikuar"],
    "roma_egyptian": ["komuniteti rom", "komuniteti egjiptian"],
    "alcohol_use": ["", "në trajtim"],
    "drug_use": ["", "në trajtim"],
    "lgbtiq": [""],
}
SOURCES = {
    "families_in_need": ["vendim NE", "vendim NE", "vetëdeklarim"],
    "children_at_risk": ["vlerësim i PMF", "njoftim nga shkolla", "Policia e Shtetit"],
    "children_disability": ["KMCAP", "KMCAP", "raport mjekësor"],
    "adults_disability": ["KMCAP", "KMCAP", "raport mjekësor"],
    "youth_at_risk": ["Policia e Shtetit", "njoftim nga shkolla", "vetëdeklarim"],
    "elderly": ["vetëdeklarim", "vlerësim i administratorit shoqëror", "njoftim nga fqinjët"],
    "domestic_violence": ["REVALB", "Policia e Shtetit", "vendim gjykate (UM)"],
    "trafficking": ["Policia e Shtetit", "organizatë partnere"],
    "roma_egyptian": ["vetëdeklarim"],
    "alcohol_use": ["vetëdeklarim", "raport mjekësor"],
    "drug_use": ["vetëdeklarim", "raport mjekësor"],
    "lgbtiq": ["vetëdeklarim"],
}
# How many days before registration a category may have started.
SINCE_DAYS = {
    "families_in_need": 900,
    "children_disability": 2500,
    "adults_disability": 5000,
    "elderly": 700,
    "roma_egyptian": 3000,
    "domestic_violence": 60,
    "trafficking": 90,
}
SUMMARIES = {
    "families_in_need": "Familje me ndihmë ekonomike; kërkon mbështetje për punësim dhe strehim.",
    "children_at_risk": "Fëmijë në rrezik; nevojitet vlerësim nga PMF dhe plan mbrojtjeje.",
    "children_disability": "Fëmijë me aftësi të kufizuara; familja kërkon shërbim ditor.",
    "adults_disability": "I rritur me aftësi të kufizuara; kërkon kujdes dhe mbështetje.",
    "youth_at_risk": "I ri në rrezik përjashtimi; kërkon orientim për arsim dhe punë.",
    "elderly": "I moshuar në nevojë; kërkon kujdes në shtëpi ose në qendër ditore.",
    "domestic_violence": "Viktimë e dhunës në familje; nevojitet mbrojtje dhe strehim.",
    "trafficking": "Viktimë e mundshme e trafikimit; nevojitet mbrojtje dhe riintegrim.",
    "roma_egyptian": (
        "Familje e komunitetit rom/egjiptian; pa dokumente dhe me fëmijë jashtë shkollës."
    ),
    "alcohol_use": "Përdorim i alkoolit; kërkon referim për trajtim dhe mbështetje familjare.",
    "drug_use": "Përdorim i substancave; kërkon referim për trajtim.",
    "lgbtiq": "Person LGBTIQ+ pa mbështetje familjare; kërkon strehim dhe këshillim.",
}
# Needs by assessment domain (0-3) that each category brings, before noise.
NEEDS = {
    "families_in_need": {"income": 3, "employment": 2, "housing": 1},
    "children_at_risk": {"protection": 2, "education": 2, "care": 1},
    "children_disability": {"health": 2, "care": 2, "education": 2},
    "adults_disability": {"health": 2, "care": 2, "employment": 1},
    "youth_at_risk": {"education": 2, "employment": 2, "protection": 1},
    "elderly": {"care": 2, "health": 2, "income": 1},
    "domestic_violence": {"protection": 3, "housing": 2, "income": 1},
    "trafficking": {"protection": 3, "documents": 2, "housing": 2},
    "roma_egyptian": {"documents": 2, "education": 2, "income": 2},
    "alcohol_use": {"health": 3, "employment": 1},
    "drug_use": {"health": 3, "protection": 1},
    "lgbtiq": {"protection": 2, "housing": 1},
}
CHILD_CATEGORIES = {"children_at_risk", "children_disability"}
VIOLENCE_CATEGORIES = {"domestic_violence", "trafficking"}

EVENT_NOTES = {
    Status.IDENTIFIED: "Rasti u identifikua.",
    Status.ASSESSMENT: "Filloi vlerësimi i nevojave.",
    Status.CASE_PLAN: "Plani i rastit u hartua.",
    Status.REFERRED: "U referua në shërbim.",
    Status.IN_SERVICE: "Filloi marrja e shërbimit.",
    Status.FOLLOW_UP: "Ndjekje pas shërbimit.",
    Status.CLOSED: "Rasti u mbyll: objektivat e planit u arritën.",
}
EARLY_CLOSE_NOTES = [
    "Rasti u mbyll: nuk plotëson kriteret.",
    "Rasti u mbyll: familja u largua nga bashkia.",
    "Rasti u mbyll: situata u zgjidh pa ndërhyrje.",
]
CASE_NOTES = [
    "Vizitë në familje; kushtet e banimit u vlerësuan.",
    "Telefonatë me personin; u konfirmua takimi i radhës.",
    "U kontaktua shkolla për frekuentimin.",
    "U kontaktua ofruesi i shërbimit për ecurinë.",
    "Personi u informua për të drejtat dhe shërbimet.",
    "U mblodhën dokumentet për ndihmën ekonomike.",
]
DECLINE_REASONS = [
    "Shërbimi nuk ka kapacitet të lirë.",
    "Personi nuk plotëson kriteret e shërbimit.",
    "Shërbimi nuk mbulon këtë njësi administrative.",
]
OUTCOMES = [
    (Referral.Outcome.SERVED, "Shërbimi u dha sipas planit.", 0.7),
    (
        Referral.Outcome.PARTLY,
        "Shërbimi u dha pjesërisht; personi nuk ndoqi të gjitha seancat.",
        0.2,
    ),
    (Referral.Outcome.NOT_SERVED, "Personi nuk u paraqit në shërbim.", 0.1),
]
OVERRIDE_REASONS = [
    "Rrezik i menjëhershëm për fëmijën; referim pa pëlqim sipas protokollit të mbrojtjes.",
    "Rrezik i menjëhershëm për viktimën; referim nga mekanizmi vendor i referimit.",
]
CONFERENCES = {
    CaseConference.Mechanism.CHILD_PROTECTION: (
        "PMF, NJVRN, Policia e Shtetit, shkolla, qendra shëndetësore",
        "Hartohet plani i mbrojtjes së fëmijës; PMF koordinon.",
        "Vizitë në familje brenda dy javësh; raport në mbledhjen e ardhshme të GTN.",
    ),
    CaseConference.Mechanism.DOMESTIC_VIOLENCE: (
        "Koordinatori vendor, Policia e Shtetit, prokuroria, qendra shëndetësore, OJF partnere",
        "Strehim i përkohshëm dhe ndjekje e urdhrit të mbrojtjes.",
        "Takim i Ekipit Teknik Vendor pas një muaji.",
    ),
}
# Final step of a case: how often each is drawn.
FINAL_STEPS = [
    (Status.IDENTIFIED, 8),
    (Status.ASSESSMENT, 10),
    (Status.CASE_PLAN, 10),
    (Status.REFERRED, 12),
    (Status.IN_SERVICE, 22),
    (Status.FOLLOW_UP, 13),
    (Status.CLOSED, 25),
]
OPEN = [s for s in Status if s != Status.CLOSED]


@dataclass
class Summary:
    municipality: str
    people: int = 0
    households: int = 0
    categories: Counter = field(default_factory=Counter)
    assessments: int = 0
    cases: Counter = field(default_factory=Counter)
    overdue: int = 0
    reopened: int = 0
    referrals: Counter = field(default_factory=Counter)
    consents: int = 0
    notes: int = 0
    conferences: int = 0
    staff_created: int = 0
    cleared: dict = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = []
        if self.cleared:
            out.append(
                "Cleared the previous SYNTHETIC population: "
                + ", ".join(f"{n} {what}" for what, n in self.cleared.items())
            )
        if not self.people:
            return [*out, f"  no new people made; done in {self.seconds:.2f} s"]
        out += [
            f"SYNTHETIC population of {self.municipality} (made-up people, synthetic=True; "
            "for demos and benchmarks only)",
            f"  people: {self.people}   households: {self.households}   "
            f"assessments: {self.assessments}   demo staff created: {self.staff_created}",
            "  categories: "
            + ", ".join(f"{code} {n}" for code, n in sorted(self.categories.items())),
            "  cases by step: "
            + ", ".join(f"{s.value} {self.cases.get(s.value, 0)}" for s in Status)
            + f"   (overdue {self.overdue}, reopened {self.reopened})",
            "  referrals by state: "
            + ", ".join(f"{s.value} {self.referrals.get(s.value, 0)}" for s in Referral.State),
            f"  consents: {self.consents}   case notes: {self.notes}   "
            f"case conferences: {self.conferences}",
            f"  done in {self.seconds:.2f} s",
        ]
        return out


# --- proportions ---------------------------------------------------------------


def category_weights(municipality) -> dict[str, float]:
    """Relative weight of each category in the synthetic mix (see the module docstring)."""
    headline = {}
    for gap in compute_coverage(municipality).category_gaps:
        if gap.need is not None and gap.need.value and gap.need.figure.unit_of_count != "percent":
            headline[gap.category.code] = float(gap.need.value)
    disability_total, child_share = _disability_figures(municipality)
    weights = {}
    for code in Category.objects.order_by("position").values_list("code", flat=True):
        if code in headline:
            weights[code] = headline[code]
        elif code == "children_disability":
            weights[code] = disability_total * child_share
        elif code == "adults_disability":
            weights[code] = disability_total * (1 - child_share)
        elif code in FALLBACK_FIGURES:
            weights[code] = float(FALLBACK_FIGURES[code])
        elif code in ASSUMED_FIGURES:
            weights[code] = float(ASSUMED_FIGURES[code])
    return weights


def _disability_figures(municipality) -> tuple[float, float]:
    """Persons with disabilities in need (the total most tables agree on) and the child share."""
    figures = NeedFigure.objects.filter(
        municipality=municipality, measure=NeedFigure.Measure.NEED, area="municipality"
    )
    totals = [
        f
        for f in figures.filter(category__isnull=True, unit_of_count="persons")
        if f.dimensions == {"status": "PAK"} and not f.sex and not f.age_group and f.is_total_row
    ]
    total = float(FALLBACK_DISABILITY_TOTAL)
    if totals:
        latest = max(f.year or 0 for f in totals)
        values = Counter(f.value for f in totals if (f.year or 0) == latest)
        total = float(min(values, key=lambda v: (-values[v], v)))
    shares = defaultdict(float)
    for f in figures.filter(
        unit_of_count="percent", category__code__in=["children_disability", "adults_disability"]
    ).select_related("category"):
        shares[f.category.code] += float(f.value)
    both = shares["children_disability"] + shares["adults_disability"]
    child_share = shares["children_disability"] / both if both else FALLBACK_CHILD_DISABILITY_SHARE
    return total, child_share


def unit_weights(municipality) -> list[tuple[AdministrativeUnit, float]]:
    """Units with their population (civil register, latest year); the urban area's is shared."""
    units = list(municipality.units.order_by("position", "code"))
    figures = PopulationFigure.objects.filter(
        municipality=municipality,
        measure=PopulationFigure.Measure.POPULATION,
        age_group="",
        source="civil_register",
    ).exclude(area="municipality")
    latest = max((f.year for f in figures), default=None)
    by_area = {f.area: f.value for f in figures if f.year == latest}
    urban = [u for u in units if u.kind == AdministrativeUnit.Kind.URBAN]
    weights = {}
    for unit in units:
        if unit.code in by_area:
            weights[unit.code] = float(by_area[unit.code])
        elif unit in urban and "urban_area" in by_area:
            weights[unit.code] = by_area["urban_area"] / len(urban)
    known = [w for w in weights.values() if w > 0]
    fill = sum(known) / len(known) if known else 1.0
    return [(u, weights.get(u.code) or fill) for u in units]


class _CategoryStream:
    """Categories in the order households take them, keeping every prefix proportional.

    Smooth weighted round-robin: each step adds every weight to its credit
    and takes the category with the most credit, so after k steps each count
    is within one of k x its share. Rare categories start with a full credit
    so that even a small population shows one of each.
    """

    def __init__(self, weights: dict[str, float], rng: random.Random):
        self.weights = {c: w for c, w in weights.items() if w > 0}
        self.total = sum(self.weights.values())
        self.credit = {}
        for code, weight in self.weights.items():
            rare = weight / self.total < RARE_SHARE
            self.credit[code] = self.total * (1 + rng.random()) if rare else rng.random() * weight
        self._peeked = None

    def peek(self) -> str:
        if self._peeked is None:
            for code, weight in self.weights.items():
                self.credit[code] += weight
            code = max(self.credit, key=self.credit.get)
            self.credit[code] -= self.total
            self._peeked = code
        return self._peeked

    def take(self) -> str:
        code = self.peek()
        self._peeked = None
        return code


# --- people and households -------------------------------------------------------------


@dataclass
class _Member:
    relationship: str
    sex: str
    age: int
    index: bool = False


def _eligible(code: str, age: int, sex: str, relationship: str) -> bool:
    low, high = AGES[code]
    if not low <= age <= high:
        return False
    if code == "families_in_need":
        return relationship == Rel.HEAD
    if code == "domestic_violence":  # men victims only as the index person of a household
        return sex == F
    return True


def _pick(rng, options):
    """One of [(value, weight), ...]."""
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights)[0]


def _plan_household(rng: random.Random, code: str) -> list[_Member]:
    """Members of a household around a person in the category (the index member)."""
    r = rng.random()

    def family(head_age, *, spouse=0.75, children=(0, 3), child_ages=(0, 17), grandparent=0.1):
        head_sex = M if rng.random() < 0.8 else F
        members = [_Member(Rel.HEAD, head_sex, head_age)]
        if rng.random() < spouse:
            spouse_age = max(18, head_age + rng.randint(-6, 2) * (1 if head_sex == M else -1))
            members.append(_Member(Rel.SPOUSE, F if head_sex == M else M, spouse_age))
        youngest_parent = min(m.age for m in members)
        for _ in range(rng.randint(*children)):
            high = min(child_ages[1], youngest_parent - 18)
            if high >= child_ages[0]:
                members.append(
                    _Member(Rel.CHILD, rng.choice((F, M)), rng.randint(child_ages[0], high))
                )
        if rng.random() < grandparent:
            members.append(
                _Member(
                    Rel.PARENT,
                    F if rng.random() < 0.65 else M,
                    max(head_age + 22, 60) + rng.randint(0, 8),
                )
            )
        return members

    if code == "elderly":
        age = 65 + int(rng.triangular(0, 27, 6))
        sex = F if rng.random() < 0.6 else M
        if r < 0.4:
            return [_Member(Rel.HEAD, sex, age, index=True)]
        if r < 0.7:
            other = max(65, age + rng.randint(-5, 5))
            return [
                _Member(Rel.HEAD, M, age if sex == M else other, index=sex == M),
                _Member(Rel.SPOUSE, F, age if sex == F else other, index=sex == F),
            ]
        head_age = max(30, age - rng.randint(22, 38))
        members = family(min(head_age, 64), spouse=0.6, children=(0, 2), grandparent=0)
        members.append(_Member(Rel.PARENT, sex, max(age, head_age + 20), index=True))
        return members
    if code in ("children_at_risk", "children_disability", "youth_at_risk"):
        low, high = (14, 24) if code == "youth_at_risk" else (0, 17)
        if code == "children_at_risk":
            low = 3 if rng.random() < 0.8 else 0
        child_age = rng.randint(low, high)
        head_age = child_age + rng.randint(24, 40)
        members = family(head_age, spouse=0.7, children=(0, 3), grandparent=0.15)
        members.insert(
            1 if len(members) == 1 or members[1].relationship != Rel.SPOUSE else 2,
            _Member(Rel.CHILD, rng.choice((F, M)), child_age, index=True),
        )
        return members
    if code == "families_in_need":
        members = family(rng.randint(28, 62), spouse=0.75, children=(1, 4), grandparent=0.1)
        members[0].index = True
        return members
    if code == "adults_disability":
        if r < 0.35:
            return [_Member(Rel.HEAD, rng.choice((F, M)), rng.randint(30, 80), index=True)]
        if r < 0.7:
            members = family(rng.randint(25, 64), spouse=0.7, children=(0, 3))
            members[0].index = True
            return members
        child_age = rng.randint(18, 45)
        members = family(
            child_age + rng.randint(20, 32), spouse=0.8, children=(0, 1), child_ages=(18, 50)
        )
        members.append(_Member(Rel.CHILD, rng.choice((F, M)), child_age, index=True))
        return members
    if code == "domestic_violence":
        age = rng.randint(19, 58)
        if rng.random() < 0.08:  # a few men
            return [_Member(Rel.HEAD, M, age, index=True)] + [
                _Member(Rel.CHILD, rng.choice((F, M)), rng.randint(0, max(0, age - 19)))
                for _ in range(rng.randint(0, 2))
            ]
        if r < 0.65:
            members = [_Member(Rel.HEAD, F, age, index=True)]
        else:
            members = [
                _Member(Rel.HEAD, M, age + rng.randint(0, 8)),
                _Member(Rel.SPOUSE, F, age, index=True),
            ]
        for _ in range(rng.randint(0, 3)):
            if age - 18 >= 0:
                members.append(
                    _Member(Rel.CHILD, rng.choice((F, M)), rng.randint(0, max(0, age - 18)))
                )
        return members
    if code == "trafficking":
        sex = F if rng.random() < 0.85 else M
        age = rng.randint(15, 32)
        if r < 0.5:
            members = family(
                age + rng.randint(20, 30), spouse=0.7, children=(0, 2), child_ages=(0, 17)
            )
            members.append(_Member(Rel.CHILD, sex, age, index=True))
            return members
        return [_Member(Rel.HEAD, sex, max(age, 18), index=True)]
    if code == "roma_egyptian":
        members = family(rng.randint(22, 55), spouse=0.85, children=(1, 5), grandparent=0.2)
        rng.choice(members).index = True
        return members
    if code in ("alcohol_use", "drug_use"):
        sex = M if rng.random() < 0.85 else F
        age = rng.randint(18, 55) if code == "alcohol_use" else rng.randint(16, 40)
        if r < 0.5 and age >= 22:
            members = family(age, spouse=0.8, children=(0, 3))
            members[0].sex, members[0].index = sex, True
            if len(members) > 1 and members[1].relationship == Rel.SPOUSE:
                members[1].sex = F if sex == M else M
            return members
        if r < 0.8:
            members = family(
                age + rng.randint(20, 32), spouse=0.8, children=(0, 1), child_ages=(14, 40)
            )
            members.append(_Member(Rel.CHILD, sex, age, index=True))
            return members
        return [_Member(Rel.HEAD, sex, max(age, 18), index=True)]
    if code == "lgbtiq":
        age = rng.randint(18, 35)
        if r < 0.6:
            members = family(
                age + rng.randint(20, 32), spouse=0.8, children=(0, 1), child_ages=(10, 40)
            )
            members.append(_Member(Rel.CHILD, rng.choice((F, M)), age, index=True))
            return members
        return [_Member(Rel.HEAD, rng.choice((F, M)), age, index=True)]
    raise ValueError(f"no household plan for category {code!r}")


def _trim(members: list[_Member], size: int) -> list[_Member]:
    """At most `size` members, keeping the head and the index member."""
    kept = {id(m) for m in members if m.relationship == Rel.HEAD or m.index}
    for m in members:
        if len(kept) >= size:
            break
        kept.add(id(m))
    return [m for m in members if id(m) in kept]


def _generation(birth_year: int) -> int:
    return 0 if birth_year < 1960 else 1 if birth_year < 1990 else 2


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def first(self, sex: str, birth_year: int) -> str:
        names = (FEMALE_NAMES if sex == F else MALE_NAMES)[_generation(birth_year)]
        return self.rng.choice(names)

    def male(self, birth_year: int) -> str:
        return self.rng.choice(MALE_NAMES[_generation(birth_year)])


def _birth_date(rng: random.Random, age: int, as_of: datetime.date) -> datetime.date:
    """A date of birth that makes the person `age` on `as_of`."""
    try:
        latest = as_of.replace(year=as_of.year - age)
    except ValueError:  # 29 February
        latest = as_of.replace(year=as_of.year - age, day=28)
    return latest - datetime.timedelta(days=rng.randint(0, 364))


def _age_on(dob: datetime.date, day: datetime.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class _NationalIds:
    """Made-up IDs in the Albanian format: a letter for the decade of birth, 8 digits, a letter."""

    def __init__(self, rng: random.Random, taken: set[str]):
        self.rng = rng
        self.taken = taken

    def new(self, dob: datetime.date) -> str:
        decade = chr(ord("A") + max(0, min(25, (dob.year - 1900) // 10)))
        while True:
            digits = f"{self.rng.randrange(10**8):08d}"
            value = f"{decade}{digits}{chr(ord('A') + self.rng.randrange(23))}"
            if value not in self.taken:
                self.taken.add(value)
                return value


# --- time ---------------------------------------------------------------------


def _at(offset: float) -> datetime.datetime:
    """Day `offset` after EPOCH at a working-hours time (08:00-17:00 in Albania)."""
    day = int(offset)
    minutes = int((offset - day) * 9 * 60)
    date = EPOCH + datetime.timedelta(days=day)
    local = datetime.datetime.combine(date, datetime.time(8 + minutes // 60, minutes % 60), TZ)
    # In UTC, so that adding days (deadlines) counts real time across summer-time changes.
    return local.astimezone(datetime.UTC)


@contextmanager
def _given_timestamps(models):
    """Let bulk_create keep the made-up timestamps instead of stamping the present time."""
    switched = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                switched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in switched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


# --- staff ----------------------------------------------------------------------------


@dataclass
class _Staff:
    njvrn: object
    child_protection: object
    dv_coordinator: object
    unit_admins: dict  # unit id -> user
    roles: dict  # user id -> role
    created: int = 0


def ensure_demo_staff(municipality) -> _Staff:
    """Demo case workers of the municipality (made-up people, unusable passwords)."""
    User = get_user_model()
    created = 0
    roles = {}

    def member(username, first, role, unit=None):
        nonlocal created
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name="Demo")
            user.set_unusable_password()
            user.save()
            created += 1
        Membership.objects.get_or_create(
            user=user, municipality=municipality, role=role, unit=unit, organisation=None
        )
        roles[user.pk] = role
        return user

    njvrn = member("demo.njvrn", "Alma", Role.NJVRN)
    pmf = member("demo.pmf", "Blerta", Role.CHILD_PROTECTION)
    dv = member("demo.dhuna", "Elira", Role.DV_COORDINATOR)
    admins = {}
    first_names = FEMALE_NAMES[1] + MALE_NAMES[1]
    for i, unit in enumerate(municipality.units.order_by("position", "code")):
        admins[unit.pk] = member(
            f"demo.admin.{unit.code}", first_names[i % len(first_names)], Role.UNIT_ADMIN, unit
        )
    return _Staff(njvrn, pmf, dv, admins, roles, created)


# --- cases ----------------------------------------------------------------------------


def _case_path(rng, final: str, *, route: str, declined: bool, reopened: bool) -> list[str]:
    """The steps a case goes through, ending at `final`, consistent with TRANSITIONS."""

    def episode(start_identified: bool, route: str, declined: bool, stop: str | None):
        steps = [Status.IDENTIFIED] if start_identified else []
        steps += [Status.ASSESSMENT, Status.CASE_PLAN]
        if route == "referral":
            steps += [Status.REFERRED]
            if declined:
                steps += [Status.CASE_PLAN, Status.REFERRED]
        steps += [Status.IN_SERVICE]
        # A few cases close straight from the service, without a follow-up.
        short = stop != Status.FOLLOW_UP and rng.random() < 0.1
        steps += [Status.CLOSED] if short else [Status.FOLLOW_UP, Status.CLOSED]
        if stop is None:
            return steps
        last = len(steps) - 1 - steps[::-1].index(stop)
        return steps[: last + 1]

    if final == Status.CLOSED and not reopened and rng.random() < 0.15:
        return [Status.IDENTIFIED, Status.ASSESSMENT, Status.CLOSED][: rng.choice((1, 2))] + [
            Status.CLOSED
        ]
    if not reopened:
        return episode(True, route, declined, final)
    first_route = rng.choice(("referral", "direct")) if route == "referral" else route
    return episode(True, first_route, False, None) + episode(False, route, declined, final)


def _durations(rng, path: list[str], deadlines: dict) -> list[float]:
    """Days spent in each step but the last."""
    out = []
    for status in path[:-1]:
        if status == Status.CLOSED:
            out.append(rng.uniform(20, 150))
            continue
        days = deadlines[status]
        factor = rng.uniform(1.05, 2.0) if rng.random() < 0.15 else rng.uniform(0.15, 0.95)
        out.append(days * factor)
    return out


@dataclass
class _CasePlan:
    person: Person
    code: str
    owner: object
    path: list[str]
    times: list[datetime.datetime]
    services: list  # one per visit to "referred"
    overdue: bool = False
    case: Case | None = None


# --- the generator ----------------------------------------------------------------------


def generate_population(
    municipality,
    *,
    people: int = 300,
    seed: int = 1,
    as_of: datetime.date | None = None,
    clear: bool = False,
) -> Summary:
    """Make `people` synthetic people of the municipality, with their households and cases."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    if as_of < EPOCH + datetime.timedelta(days=60):
        raise ValueError(f"the 'as of' date must be after {EPOCH + datetime.timedelta(days=60)}")
    if people < 0:
        raise ValueError("the number of people must not be negative")
    summary = Summary(municipality=municipality.name)
    with transaction.atomic():
        if clear:
            summary.cleared = clear_synthetic(municipality)
        if people:
            _Generator(municipality, people, seed, as_of, summary).run()
    summary.seconds = time.perf_counter() - started
    return summary


class _Generator:
    def __init__(self, municipality, people, seed, as_of, summary):
        self.municipality = municipality
        self.n = people
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.summary = summary
        # The history ends the day before "as of" (no timestamp in the future).
        self.last_day = float((as_of - EPOCH).days) - 0.05

    # -- setup
    def run(self):
        rng = self.rng
        self.staff = ensure_demo_staff(self.municipality)
        self.summary.staff_created = self.staff.created
        self.categories = {c.code: c for c in Category.objects.order_by("position")}
        weights = category_weights(self.municipality)
        self.stream = _CategoryStream({c: w for c, w in weights.items() if c in AGES}, rng)
        self.units = unit_weights(self.municipality)
        self.deadlines = {s: deadline_days(self.municipality.pk, s) for s in OPEN}
        self.services = self._services()
        taken = set(
            Person.objects.filter(
                municipality=self.municipality, national_id__isnull=False
            ).values_list("national_id", flat=True)
        )
        self.ids = _NationalIds(rng, taken)
        self.names = _Names(rng)

        self._make_people()
        self._plan_cases()
        self._write()

    def _services(self):
        by_category = defaultdict(list)
        services = (
            Service.objects.filter(municipality=self.municipality, status=Service.Status.ACTIVE)
            .select_related("organisation")
            .prefetch_related("categories", "units")
            .order_by("code")
        )
        for service in services:
            units = {u.pk for u in service.units.all()}
            for category in service.categories.all():
                by_category[category.code].append((service, units))
        return by_category

    def _service_for(self, person, codes, age, exclude=()):
        options = []
        for code in codes:
            for service, units in self.services.get(code, []):
                if service.pk in exclude or (units and person.unit_id not in units):
                    continue
                if service.age_min is not None and age < service.age_min:
                    continue
                if service.age_max is not None and age > service.age_max:
                    continue
                options.append(service)
            if options:  # the case's own category first
                break
        return self.rng.choice(options) if options else None

    # -- people
    def _make_people(self):
        rng = self.rng
        self.households = []
        self.people = []
        self.person_codes = defaultdict(list)  # person index -> [category codes]
        self.person_category_rows = []
        units, unit_w = zip(*self.units, strict=True)
        while len(self.people) < self.n:
            remaining = self.n - len(self.people)
            code = self.stream.peek()
            plan = _trim(_plan_household(rng, code), min(7, remaining))
            if len(plan) > remaining:
                # Too few people left for this kind of household: one adult, no category.
                plan = [_Member(Rel.HEAD, rng.choice((F, M)), rng.randint(25, 70))]
            else:
                self.stream.take()
            unit = rng.choices(units, unit_w)[0]
            registered = rng.uniform(1, self.last_day)
            household = Household(
                municipality=self.municipality,
                unit=unit,
                address=(
                    f"Lagjja {rng.randint(1, 18)}, Rruga {rng.choice(STREETS)}, "
                    f"Nr. {rng.randint(1, 120)}"
                ),
                created_at=_at(registered),
            )
            household.registered = registered
            self.households.append(household)
            members = self._people_of(household, plan)
            for member, person in zip(plan, members, strict=True):
                if member.index:
                    self._add_category(person, code)
            if rng.random() < SECOND_CATEGORY_SHARE and any(m.index for m in plan):
                second = self.stream.peek()
                candidates = [
                    p
                    for p in members
                    if second not in self.person_codes[p.idx]
                    and _eligible(second, p.age, p.sex, p.relationship)
                ]
                if candidates:
                    self.stream.take()
                    self._add_category(rng.choice(candidates), second)

    def _people_of(self, household, plan):
        rng = self.rng
        surname = rng.choice(SURNAMES)
        head = plan[0]
        head_dob = _birth_date(rng, head.age, self.as_of)
        head_first = self.names.first(head.sex, head_dob.year)
        spouse_first = None
        out = []
        recorder = self.staff.unit_admins[household.unit.pk]
        for member in plan:
            dob = head_dob if member is head else _birth_date(rng, member.age, self.as_of)
            first = head_first if member is head else self.names.first(member.sex, dob.year)
            if member.relationship == Rel.SPOUSE:
                spouse_first = first
            if member.relationship in (Rel.CHILD, Rel.GRANDCHILD):
                fathers = (
                    head_first
                    if head.sex == M
                    else (spouse_first or self.names.male(dob.year - 30))
                )
            else:
                fathers = self.names.male(dob.year - 30)
            age = _age_on(dob, self.as_of)
            national_id = (
                self.ids.new(dob) if age >= 18 and rng.random() < NATIONAL_ID_SHARE else None
            )
            person = Person(
                municipality=self.municipality,
                unit=household.unit,
                first_name=first,
                last_name=surname,
                fathers_name=fathers,
                sex=member.sex,
                date_of_birth=dob,
                national_id=national_id,
                household=household,
                relationship=member.relationship,
                address=household.address,
                search_name=fold(f"{first} {surname}"),
                synthetic=True,
                created_by=recorder,
                created_at=household.created_at,
                updated_at=household.created_at,
            )
            person.idx = len(self.people)
            person.age = age
            person.registered = household.registered
            self.people.append(person)
            out.append(person)
        return out

    def _add_category(self, person, code):
        rng = self.rng
        self.person_codes[person.idx].append(code)
        registered_on = _at(person.registered).date()
        since = registered_on - datetime.timedelta(days=rng.randint(0, SINCE_DAYS.get(code, 365)))
        since = max(since, person.date_of_birth)
        row = PersonCategory(
            person=person,
            category=self.categories[code],
            detail=rng.choice(DETAILS[code]),
            start_date=since,
            source=rng.choice(SOURCES[code]),
            recorded_by=self._owner_for(person, code, recorder=True),
            recorded_at=_at(person.registered),
        )
        self.person_category_rows.append(row)
        self.summary.categories[code] += 1

    def _owner_for(self, person, code, recorder=False):
        r = self.rng.random()
        admin = self.staff.unit_admins[person.unit.pk]
        if code in VIOLENCE_CATEGORIES:
            return self.staff.dv_coordinator
        if code == "children_at_risk":
            return self.staff.child_protection if r < 0.8 else admin
        if code == "children_disability":
            return self.staff.child_protection if r < 0.4 else admin
        if recorder:
            return admin
        return admin if r < 0.7 else self.staff.njvrn

    # -- cases
    def _plan_cases(self):
        rng = self.rng
        in_need = [p for p in self.people if self.person_codes[p.idx]]
        with_case = set(p.idx for p in rng.sample(in_need, round(len(in_need) * CASE_SHARE)))
        self.case_plans = []
        for person in in_need:
            if person.idx not in with_case:
                continue
            codes = self.person_codes[person.idx]
            code = codes[0]
            final = _pick(rng, FINAL_STEPS)
            referrable = self._service_for(person, codes, person.age) is not None
            route = "referral" if referrable and rng.random() < 0.85 else "direct"
            if final == Status.REFERRED and route == "direct":
                final = Status.IN_SERVICE
            declined = route == "referral" and rng.random() < DECLINED_SHARE
            reopened = final != Status.IDENTIFIED and rng.random() < REOPENED_SHARE
            path = _case_path(rng, final, route=route, declined=declined, reopened=reopened)
            plan = _CasePlan(person, code, self._owner_for(person, code), path, [], [])
            self._time_case(plan)
            used = set()
            for step in path:
                if step == Status.REFERRED:
                    service = self._service_for(person, codes, person.age, exclude=used)
                    service = service or self._service_for(person, codes, person.age)
                    used.add(service.pk)
                    plan.services.append(service)
            self.case_plans.append(plan)
        # People in categories with an assessment: every case past assessment, then others.
        assessed = {p.person.idx for p in self.case_plans if self._assessment_steps(p)}
        target = round(len(in_need) * ASSESSED_SHARE)
        others = [p for p in in_need if p.idx not in with_case]
        extra = max(0, target - len(assessed))
        self.assessed_without_case = rng.sample(others, min(extra, len(others)))

    def _time_case(self, plan):
        rng = self.rng
        durations = _durations(rng, plan.path, self.deadlines)
        final = plan.path[-1]
        total = sum(durations)
        if final == Status.CLOSED:
            end = rng.uniform(min(total, self.last_day - 1), self.last_day)
        else:
            plan.overdue = rng.random() < OVERDUE_SHARE
            days = self.deadlines[final]
            elapsed = days * (rng.uniform(1.1, 3.0) if plan.overdue else rng.uniform(0.0, 0.85))
            end = max(self.last_day - elapsed, 0.5)
        start = end - total
        floor = 0.1
        if start < floor:
            start = min(floor, end)
            scale = (end - start) / total if total else 0
            durations = [d * scale for d in durations]
        offsets = [start]
        for d in durations:
            offsets.append(offsets[-1] + d)
        plan.times = [_at(o) for o in offsets]
        # The person is registered when the case is identified, at the latest.
        plan.person.registered = min(plan.person.registered, start)

    @staticmethod
    def _assessment_steps(plan):
        """Indexes i where the case moved from assessment to case plan (an assessment was done)."""
        return [
            i
            for i in range(1, len(plan.path))
            if plan.path[i] == Status.CASE_PLAN and plan.path[i - 1] == Status.ASSESSMENT
        ]

    # -- writing
    def _write(self):
        rng = self.rng
        # A case may have moved a person's registration earlier: the household
        # and all its members are registered then.
        for person in self.people:
            person.household.registered = min(person.household.registered, person.registered)
        for household in self.households:
            household.created_at = _at(household.registered)
        for person in self.people:
            person.registered = person.household.registered
            person.created_at = person.updated_at = _at(person.registered)
        for row in self.person_category_rows:
            row.recorded_at = _at(row.person.registered)
            row.start_date = min(row.start_date, row.recorded_at.date())

        cases, events, notes, conferences, assessments, consents, referrals = ([] for _ in range(7))
        for plan in sorted(self.case_plans, key=lambda p: (p.times[0], p.person.idx)):
            self._build_case(plan, events, notes, conferences, assessments, consents, referrals)
            cases.append(plan.case)
        for person in self.assessed_without_case:
            code = self.person_codes[person.idx][0]
            day = min(person.registered + rng.uniform(1, 20), self.last_day)
            assessments.append(
                self._assessment(person, code, None, _at(day), self._owner_for(person, code))
            )

        self._number(cases, referrals)
        models = [Household, Person, PersonCategory, Assessment, CaseEvent, CaseNote]
        models += [CaseConference, Consent, Referral]
        with _given_timestamps(models):
            Household.objects.bulk_create(self.households, batch_size=BATCH)
            Person.objects.bulk_create(self.people, batch_size=BATCH)
            PersonCategory.objects.bulk_create(self.person_category_rows, batch_size=BATCH)
            Case.objects.bulk_create(cases, batch_size=BATCH)
            Assessment.objects.bulk_create(assessments, batch_size=BATCH)
            CaseEvent.objects.bulk_create(events, batch_size=BATCH)
            CaseNote.objects.bulk_create(notes, batch_size=BATCH)
            CaseConference.objects.bulk_create(conferences, batch_size=BATCH)
            Consent.objects.bulk_create(consents, batch_size=BATCH)
            Referral.objects.bulk_create(referrals, batch_size=BATCH)

        record(
            None,
            "import",
            self.municipality,
            summary=f"Synthetic population generated: {len(self.people)} made-up people",
        )
        s = self.summary
        s.people, s.households = len(self.people), len(self.households)
        s.assessments, s.notes, s.conferences = len(assessments), len(notes), len(conferences)
        s.consents = len(consents)
        s.cases.update(c.status for c in cases)
        s.referrals.update(r.state for r in referrals)
        as_of = datetime.datetime.combine(self.as_of, datetime.time(0), TZ)
        s.overdue = sum(1 for c in cases if c.due_at is not None and c.due_at < as_of)
        s.reopened = sum(1 for p in self.case_plans if Status.CLOSED in p.path[:-1])

    def _number(self, cases, referrals):
        by_year = defaultdict(list)
        for case in cases:
            by_year[case.opened_at.astimezone(TZ).year].append(case)
        for year, group in sorted(by_year.items()):
            for case, ref in zip(
                group, next_case_references(self.municipality, year, len(group)), strict=True
            ):
                case.reference = ref
        by_year = defaultdict(list)
        for referral in sorted(referrals, key=lambda r: r.sent_at):
            by_year[referral.sent_at.astimezone(TZ).year].append(referral)
        for year, group in sorted(by_year.items()):
            refs = next_referral_references(self.municipality, year, len(group))
            for referral, ref in zip(group, refs, strict=True):
                referral.reference = ref

    def _assessment(self, person, code, case, at, assessor):
        rng = self.rng
        needs = {}
        for domain, _label in Assessment.DOMAINS:
            base = NEEDS[code].get(domain, 0)
            level = base + rng.choice((-1, 0, 0, 1)) if base else (1 if rng.random() < 0.15 else 0)
            if level > 0:
                needs[domain] = min(3, level)
        top = max(needs.values(), default=0)
        risk = (
            Assessment.Risk.CRITICAL
            if top == 3 and sum(needs.values()) >= 8
            else Assessment.Risk.HIGH
            if top == 3
            else Assessment.Risk.MEDIUM
            if top == 2
            else Assessment.Risk.LOW
        )
        return Assessment(
            person=person,
            case=case,
            date=at.date(),
            assessor=assessor,
            needs=needs,
            risk=risk,
            notes="Vlerësim i nevojave (të dhëna sintetike).",
            created_at=at,
        )

    def _build_case(self, plan, events, notes, conferences, assessments, consents, referrals):
        rng = self.rng
        person, owner, path, times = plan.person, plan.owner, plan.path, plan.times
        final = path[-1]
        case = Case(
            municipality=self.municipality,
            unit=person.unit,
            person=person,
            status=final,
            owner=owner,
            summary=SUMMARIES[plan.code],
            opened_at=times[0],
            status_changed_at=times[-1],
            due_at=None
            if final == Status.CLOSED
            else times[-1] + datetime.timedelta(days=self.deadlines[final]),
            closed_at=times[-1] if final == Status.CLOSED else None,
        )
        plan.case = case
        for i, status in enumerate(path):
            if status == Status.IN_SERVICE and case.first_service_at is None:
                case.first_service_at = times[i]
            previous = path[i - 1] if i else ""
            note = EVENT_NOTES[status]
            if previous == Status.CLOSED:
                note = "Rasti u rihap: situata e personit ndryshoi."
            elif previous == Status.REFERRED and status == Status.CASE_PLAN:
                note = "Referimi u refuzua; plani i rastit u rishikua."
            elif status == Status.CLOSED and previous in (Status.IDENTIFIED, Status.ASSESSMENT):
                note = rng.choice(EARLY_CLOSE_NOTES)
            events.append(
                CaseEvent(
                    case=case,
                    at=times[i],
                    by=owner,
                    from_status=previous,
                    to_status=status,
                    note=note,
                )
            )
        # Assessments, with the case's risk taken from the latest.
        latest = None
        for i in self._assessment_steps(plan):
            latest = self._assessment(
                person, plan.code, case, times[i] - datetime.timedelta(hours=1), owner
            )
            assessments.append(latest)
        if latest is not None:
            case.risk = latest.risk
        if plan.code in VIOLENCE_CATEGORIES or case.risk == "critical":
            case.priority = Case.Priority.URGENT if rng.random() < 0.4 else Case.Priority.HIGH
        elif plan.code in CHILD_CATEGORIES and rng.random() < 0.4:
            case.priority = Case.Priority.HIGH
        # Notes between the first and the last event.
        if len(path) >= 3 and rng.random() < 0.5:
            span = (times[-1] - times[0]).total_seconds()
            for _ in range(rng.randint(1, 3)):
                at = times[0] + datetime.timedelta(seconds=rng.uniform(0, span))
                notes.append(CaseNote(case=case, author=owner, at=at, text=rng.choice(CASE_NOTES)))
        # A case conference when the plan is made for children and victims of violence.
        mechanism = (
            CaseConference.Mechanism.CHILD_PROTECTION
            if plan.code in CHILD_CATEGORIES
            else CaseConference.Mechanism.DOMESTIC_VIOLENCE
            if plan.code in VIOLENCE_CATEGORIES
            else None
        )
        plan_steps = [i for i, s in enumerate(path) if s == Status.CASE_PLAN]
        if mechanism and plan_steps and rng.random() < 0.6:
            participants, decisions, next_steps = CONFERENCES[mechanism]
            at = times[plan_steps[0]]
            conferences.append(
                CaseConference(
                    case=case,
                    mechanism=mechanism,
                    date=at.date(),
                    participants=participants,
                    decisions=decisions,
                    next_steps=next_steps,
                    recorded_by=owner,
                    recorded_at=at,
                )
            )
        # Referrals: one per visit to "referred"; the next step says what became of it.
        services = iter(plan.services)
        for i, status in enumerate(path):
            if status != Status.REFERRED:
                continue
            service = next(services)
            referral = Referral(
                case=case,
                service=service,
                organisation=service.organisation,
                purpose=f"{SUMMARIES[plan.code]} Referim në: {service.name}"[:1000],
                sent_by=owner,
                sent_at=times[i],
                state=Referral.State.SENT,
            )
            may_override = self.staff.roles.get(owner.pk) in (
                Role.NJVRN,
                Role.CHILD_PROTECTION,
                Role.DV_COORDINATOR,
            )
            urgent = plan.code in CHILD_CATEGORIES | VIOLENCE_CATEGORIES
            if may_override and urgent and rng.random() < OVERRIDE_SHARE:
                referral.override_reason = rng.choice(OVERRIDE_REASONS)
            else:
                consent = Consent(
                    person=person,
                    case=case,
                    recipient=service.organisation,
                    purpose=f"Ndarja e të dhënave të rastit me {service.organisation.name}"[:300],
                    given_on=times[i].date(),
                    recorded_by=owner,
                    recorded_at=times[i] - datetime.timedelta(minutes=20),
                )
                consents.append(consent)
                referral.consent = consent
            following = path[i + 1 :]
            if following:
                responded = times[i + 1]
                referral.responded_by, referral.responded_at = owner, responded
                # No provider account answers synthetic referrals: staff record the reply.
                referral.reply_recorded_by_staff = True
                if following[0] == Status.CASE_PLAN:
                    referral.state = Referral.State.DECLINED
                    referral.decline_reason = rng.choice(DECLINE_REASONS)
                elif len(following) == 1:
                    referral.state = Referral.State.ACCEPTED
                else:
                    outcome, text, _w = _pick(rng, [((o, t, w), w) for o, t, w in OUTCOMES])
                    referral.state = Referral.State.COMPLETED
                    referral.outcome, referral.outcome_notes = outcome, text
                    referral.outcome_at = times[i + 2]
            referrals.append(referral)


# --- clearing -----------------------------------------------------------------------------


def clear_synthetic(municipality) -> dict[str, int]:
    """Delete the synthetic people of the municipality, their cases, referrals and households.

    Rows of real people are never touched: a household is deleted only if all
    its members were synthetic.
    """
    with transaction.atomic():
        people = Person.objects.filter(municipality=municipality, synthetic=True)
        cases = Case.objects.filter(person__in=people)
        household_ids = set(
            people.exclude(household=None).values_list("household_id", flat=True)
        ) - set(
            Person.objects.filter(synthetic=False, household__isnull=False)
            .filter(household__municipality=municipality)
            .values_list("household_id", flat=True)
        )
        counts = {}
        counts["referrals"] = Referral.objects.filter(case__in=cases).delete()[0]
        counts["cases"] = cases.count()
        cases.delete()
        people.exclude(merged_into=None).update(merged_into=None)
        counts["people"] = people.count()
        people.delete()
        counts["households"] = Household.objects.filter(pk__in=household_ids).delete()[0]
        if counts["people"]:
            record(
                None,
                "delete",
                municipality,
                summary=f"Synthetic population cleared: {counts['people']} made-up people",
            )
    return counts
