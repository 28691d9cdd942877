"""A SYNTHETIC national dataset: Albania's 61 municipalities with invented people.

For benchmarks and scale tests only. Municipality names are the real 61
(facts); everything else is made up and marked: units are "Njësia N"
(Durrës keeps its 11 real units), population figures say "sintetike", every
person has ``synthetic=True`` and a name drawn from the generator's lists of
common names, households' addresses end in "(sintetike)", staff accounts are
``synthetic.<municipality>.*`` with unusable passwords.

What is made, at the "national" size: about 2.8 million residents (as unit
population figures), 300,000 people in the register in households, their
categories, 100,000 cases at every step with their history, consents and
referrals, 6 million service events over four years, a copy of the Durrës
plan for every other municipality with two years of progress reports and
spending. "small" makes three municipalities for the tests; "medium" is a
tenth of national.

Speed: rows are produced by generators and written with PostgreSQL's COPY
(executemany on SQLite), with ids assigned here from a locked block, never
one ORM save per row. The whole run is one transaction: stopped half-way, it
leaves nothing.
"""

import datetime
import random
import time
import zoneinfo
from contextlib import ExitStack
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from socialplan.accounts.models import Membership
from socialplan.bulkwrite import Writer, analyze, as_stored
from socialplan.cases.models import DEFAULT_DEADLINE_DAYS, Status
from socialplan.cases.references import next_case_references, next_referral_references
from socialplan.directory.models import Category, Funding, Organisation, Service, fold
from socialplan.monitoring.models import ProgressReport, Spending
from socialplan.plan.models import Activity, BudgetLine, Plan
from socialplan.plan.revisions import _clone, copy_tree
from socialplan.registry.models import Person
from socialplan.registry.synthetic import SURNAMES, _Names
from socialplan.territory.models import AdministrativeUnit, Municipality, PopulationFigure

from . import tallies

TZ = zoneinfo.ZoneInfo("Europe/Tirane")
YEARS = 4  # of history, ending the day before "as of"
MARK = "(sintetike)"
# Cases per synthetic NJVRN worker.
CASELOAD = 300


@dataclass(frozen=True)
class Size:
    municipalities: int
    residents: int
    people: int
    cases: int
    events: int


SIZES = {
    "small": Size(3, 400_000, 900, 300, 6_000),
    "medium": Size(61, 2_800_000, 30_000, 10_000, 600_000),
    "national": Size(61, 2_800_000, 300_000, 100_000, 6_000_000),
}

# Albania's 61 municipalities (2015 territorial reform) with a rough weight for
# their share of the population: a made-up spread for the synthetic data, not
# census figures. Durrës comes first: it is the one with real data.
MUNICIPALITIES = [
    ("durres", "Durrës", 7.0), ("tirane", "Tiranë", 30.0), ("elbasan", "Elbasan", 5.0),
    ("vlore", "Vlorë", 4.5), ("shkoder", "Shkodër", 4.5), ("fier", "Fier", 4.2),
    ("korce", "Korçë", 3.5), ("kamez", "Kamëz", 3.5), ("berat", "Berat", 2.2),
    ("lushnje", "Lushnjë", 2.8), ("kavaje", "Kavajë", 1.4), ("lezhe", "Lezhë", 2.1),
    ("sarande", "Sarandë", 1.2), ("gjirokaster", "Gjirokastër", 0.9), ("kukes", "Kukës", 1.4),
    ("pogradec", "Pogradec", 2.0), ("kruje", "Krujë", 2.0), ("kurbin", "Kurbin", 1.5),
    ("diber", "Dibër", 2.0), ("mat", "Mat", 0.9), ("vore", "Vorë", 1.0),
    ("shijak", "Shijak", 1.0), ("rrogozhine", "Rrogozhinë", 0.7), ("peqin", "Peqin", 0.8),
    ("cerrik", "Cërrik", 0.9), ("librazhd", "Librazhd", 0.9), ("gramsh", "Gramsh", 0.7),
    ("belsh", "Belsh", 0.6), ("kucove", "Kuçovë", 1.0), ("skrapar", "Skrapar", 0.4),
    ("polican", "Poliçan", 0.3), ("ura-vajgurore", "Ura Vajgurore", 0.9),
    ("divjake", "Divjakë", 1.1), ("patos", "Patos", 0.7), ("roskovec", "Roskovec", 0.7),
    ("mallakaster", "Mallakastër", 1.0), ("selenice", "Selenicë", 0.7),
    ("himare", "Himarë", 0.3), ("delvine", "Delvinë", 0.3), ("finiq", "Finiq", 0.3),
    ("konispol", "Konispol", 0.3), ("dropull", "Dropull", 0.2), ("libohove", "Libohovë", 0.1),
    ("tepelene", "Tepelenë", 0.4), ("memaliaj", "Memaliaj", 0.3), ("permet", "Përmet", 0.3),
    ("kelcyre", "Këlcyrë", 0.1), ("kolonje", "Kolonjë", 0.3), ("devoll", "Devoll", 0.8),
    ("maliq", "Maliq", 1.1), ("pustec", "Pustec", 0.1), ("prrenjas", "Prrenjas", 0.7),
    ("bulqize", "Bulqizë", 0.9), ("klos", "Klos", 0.5), ("has", "Has", 0.4),
    ("tropoje", "Tropojë", 0.5), ("puke", "Pukë", 0.3), ("fushe-arrez", "Fushë-Arrëz", 0.2),
    ("mirdite", "Mirditë", 0.7), ("malesi-e-madhe", "Malësi e Madhe", 0.9),
    ("vau-i-dejes", "Vau i Dejës", 0.9),
]  # fmt: skip

# Share of categories among people in the register (made up, roughly the
# proportions the Durrës plan prints), and the ages each applies to.
CATEGORY_WEIGHTS = {
    "families_in_need": (30, 18, 90),
    "children_at_risk": (12, 0, 17),
    "children_disability": (5, 0, 17),
    "adults_disability": (16, 18, 90),
    "youth_at_risk": (4, 15, 24),
    "elderly": (18, 65, 95),
    "domestic_violence": (4, 18, 80),
    "trafficking": (0.5, 15, 40),
    "roma_egyptian": (6, 0, 90),
    "alcohol_use": (1, 18, 70),
    "drug_use": (1, 16, 50),
    "lgbtiq": (0.5, 16, 60),
}

# Final step of each case, as shares (every step present).
FINAL_STEPS = [
    (Status.IDENTIFIED, 7), (Status.ASSESSMENT, 9), (Status.CASE_PLAN, 8),
    (Status.REFERRED, 7), (Status.IN_SERVICE, 16), (Status.FOLLOW_UP, 8), (Status.CLOSED, 45),
]  # fmt: skip
ROUTE = [
    Status.IDENTIFIED, Status.ASSESSMENT, Status.CASE_PLAN, Status.REFERRED,
    Status.IN_SERVICE, Status.FOLLOW_UP,
]  # fmt: skip
SERVICE_TYPES = ["community", "day", "pre_social", "specialised", "residential", "mobile"]
# What an event of each service type is.
EVENT_KINDS = {
    "community": "session", "day": "day_care", "pre_social": "counselling",
    "specialised": "session", "residential": "in_kind", "mobile": "home_visit",
    "online": "counselling", "emergency": "in_kind", "in_family": "home_visit",
}  # fmt: skip
REPORT_STATUSES = [("on_track", 45), ("done", 20), ("delayed", 20), ("not_started", 12),
                   ("cancelled", 3)]  # fmt: skip
REPORT_STATES = [("approved", 70), ("submitted", 15), ("draft", 15)]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


WRITTEN_TABLES = [
    "registry_household", "registry_person", "registry_personcategory", "cases_case",
    "cases_caseevent", "cases_consent", "cases_referral", "cases_serviceevent",
]  # fmt: skip


# ------------------------------------------------------------------ set-up


def _ensure_municipalities(count: int, residents: int):
    """The first `count` municipalities with units and (synthetic) population figures."""
    if not Municipality.objects.filter(code="durres").exists():
        raise ValueError("Load Durrës first (make run, or manage.py seed_demo).")
    chosen = MUNICIPALITIES[:count]
    total_weight = sum(w for _c, _n, w in chosen)
    result = []
    for code, name, weight in chosen:
        municipality, _created = Municipality.objects.get_or_create(
            code=code, defaults={"name": name}
        )
        units = list(AdministrativeUnit.objects.filter(municipality=municipality))
        population = int(residents * weight / total_weight)
        if not units:
            count_units = max(2, min(24, population // 20_000))
            units = AdministrativeUnit.objects.bulk_create(
                AdministrativeUnit(
                    municipality=municipality,
                    code=f"njesia-{n}",
                    name=f"Njësia {n}",
                    kind="urban" if n == 1 else "rural",
                    number=n,
                    position=n,
                )
                for n in range(1, count_units + 1)
            )
            units = list(AdministrativeUnit.objects.filter(municipality=municipality))
        if not PopulationFigure.objects.filter(municipality=municipality).exists():
            # Its own random stream, as for the directory: a second run skips this.
            draw = random.Random(code)
            shares = [draw.uniform(0.5, 1.5) * (3 if u.kind == "urban" else 1) for u in units]
            figures = [
                PopulationFigure(
                    municipality=municipality,
                    area=u.code,
                    unit=u,
                    measure="population",
                    source="civil_register",
                    year=2024,
                    value=int(population * s / sum(shares)),
                    printed=f"{int(population * s / sum(shares))} {MARK}",
                    line=0,
                    position=i,
                )
                for i, (u, s) in enumerate(zip(units, shares, strict=True))
            ]
            PopulationFigure.objects.bulk_create(figures)
        result.append((municipality, units, weight))
    return result


def _staff(municipality, caseworkers: int):
    """A synthetic director (approves reports) and NJVRN workers (own the cases).

    The first worker is ``synthetic.<code>.njvrn``, the others
    ``synthetic.<code>.njvrn.<n>``: caseloads of a few hundred cases each,
    as in a real unit, not one account holding a city's every case.
    """
    users = get_user_model().objects

    def member(username, role):
        user, created = users.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Membership.objects.create(user=user, municipality=municipality, role=role)
        return user

    prefix = f"synthetic.{municipality.code}"
    workers = [member(f"{prefix}.njvrn", "njvrn")]
    workers += [member(f"{prefix}.njvrn.{n}", "njvrn") for n in range(2, caseworkers + 1)]
    return member(f"{prefix}.director", "director"), workers


def _directory(municipality, units, rng):
    """Durrës keeps its real directory; the others get six made-up providers."""
    services = list(Service.objects.filter(municipality=municipality, status="active"))
    if services:
        return services
    categories = list(Category.objects.all())
    for n in range(1, 7):
        organisation = Organisation.objects.create(
            municipality=municipality,
            code=f"ofruesi-{n}",
            name=f"Ofruesi {n} {MARK}",
            kind=rng.choice(["public", "non_public"]),
            funding=rng.choice([Funding.MUNICIPAL, Funding.NGO_DONOR]),
        )
        organisation.units.set(units)
        for kind in rng.sample(SERVICE_TYPES, 2):
            service = Service(
                municipality=municipality,
                organisation=organisation,
                code=f"ofruesi-{n}-{kind}",
                name=f"Shërbim {kind} {n} {MARK}",
                type=kind,
                funding=organisation.funding,
                capacity=rng.randint(20, 200),
                capacity_per="day",
            )
            service.save()
            service.categories.set(rng.sample(categories, 3))
            service.units.set(units)
    return list(Service.objects.filter(municipality=municipality, status="active"))


def _plan_copy(municipality, template: Plan) -> Plan | None:
    """A copy of the Durrës plan's tree for another municipality (for progress reports)."""
    if municipality.pk == template.municipality_id:
        return None
    slug = f"{municipality.code}-2025-2028"
    existing = Plan.objects.filter(slug=slug).first()
    if existing:
        return existing
    copy = _clone(
        template,
        municipality_id=municipality.pk,
        slug=slug,
        title=f"Plani Social Vendor {municipality.name} 2025-2028 {MARK}",
        loaded_hash="",
        revision_of_id=None,
        revision_number=0,
    )
    copy.save()
    copy_tree(template, copy)
    return copy


# ------------------------------------------------------------------ generation


@dataclass
class Summary:
    size: str
    seconds: float = 0.0
    tally_seconds: float = 0.0
    counts: dict | None = None

    def lines(self) -> list[str]:
        out = [f"{table}: {n:,}" for table, n in (self.counts or {}).items()]
        out.append(f"generated in {self.seconds:.1f} s; tallies in {self.tally_seconds:.1f} s")
        return out


def national_dataset_present() -> bool:
    return Person.objects.filter(
        synthetic=True, created_by__username__startswith="synthetic."
    ).exists()


def generate_national(
    *, size: str = "small", seed: int = 1, as_of: datetime.date | None = None
) -> Summary:
    spec = SIZES[size]
    rng = random.Random(seed)
    as_of = as_of or timezone.localdate()
    started = time.perf_counter()
    summary = Summary(size=size)
    with transaction.atomic():
        if national_dataset_present():
            raise ValueError(
                "A synthetic national dataset is already here: run with --clear first."
            )
        places = _ensure_municipalities(spec.municipalities, spec.residents)
        template = Plan.objects.filter(municipality__code="durres", revision_number=0).first()
        total_weight = sum(w for _m, _u, w in places)
        with connection.cursor() as cursor:
            writer = Writer(cursor)
            writer.lock(WRITTEN_TABLES)
            with ExitStack() as stack:
                for table in WRITTEN_TABLES:
                    stack.enter_context(writer.foreign_keys_checked_at_end(table))
                for municipality, units, weight in places:
                    share = weight / total_weight
                    _Municipality(
                        writer=writer,
                        municipality=municipality,
                        units=units,
                        rng=random.Random(rng.random()),
                        as_of=as_of,
                        people=max(10, round(spec.people * share)),
                        cases=max(3, round(spec.cases * share)),
                        events=max(30, round(spec.events * share)),
                        template=template,
                    ).run()
            for table in WRITTEN_TABLES:
                writer.reset_sequence(table)
        summary.counts = writer.counts
    analyze(WRITTEN_TABLES)
    summary.seconds = time.perf_counter() - started
    tally_started = time.perf_counter()
    for municipality, _units, _weight in places:
        tallies.refresh(municipality, today=as_of)
    summary.tally_seconds = time.perf_counter() - tally_started
    return summary


class _Municipality:
    def __init__(self, *, writer, municipality, units, rng, as_of, people, cases, events, template):
        self.w, self.m, self.units, self.rng = writer, municipality, units, rng
        self.as_of, self.people, self.cases, self.events = as_of, people, cases, events
        self.template = template
        self.start = as_of - datetime.timedelta(days=365 * YEARS)
        self.now = datetime.datetime.combine(as_of, datetime.time(12), tzinfo=TZ)

    def _moment(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(8 + self.rng.randrange(9)), tzinfo=TZ)

    def _day(self, first: datetime.date, last: datetime.date) -> datetime.date:
        span = max(0, (last - first).days)
        return first + datetime.timedelta(days=self.rng.randint(0, span))

    def run(self):
        self.director, self.workers = _staff(self.m, max(1, self.cases // CASELOAD))
        self.worker = self.workers[0]
        # Its own random stream: a second run reuses the directory and must
        # still draw the same people.
        self.services = _directory(self.m, self.units, random.Random(self.m.code))
        self.categories = {c.code: c.pk for c in Category.objects.all()}
        people = self._people()
        cases = self._cases(people)
        self._events(people, cases)
        plan = _plan_copy(self.m, self.template) if self.template else None
        if plan is not None:
            self._progress(plan)

    # -- people, households, categories

    def _people(self) -> list[tuple]:
        rng, w = self.rng, self.w
        unit_weights = [3 if u.kind == "urban" else 1 for u in self.units]
        household_id, person_id = w.next_id("registry_household"), w.next_id("registry_person")
        households, people, categories = [], [], []
        category_id = w.next_id("registry_personcategory")
        names = _Names(rng)
        made = 0
        while made < self.people:
            unit = rng.choices(self.units, unit_weights)[0]
            size = min(self.people - made, rng.choice([1, 1, 2, 2, 3, 3, 4, 5]))
            created = self._moment(self._day(self.start, self.as_of))
            households.append(
                (household_id, self.m.pk, unit.pk,
                 f"Rruga {rng.randint(1, 120)}, nr. {rng.randint(1, 90)}, {unit.name} {MARK}",
                 created)
            )  # fmt: skip
            for position in range(size):
                relationship = "head" if position == 0 else rng.choice(["spouse", "child", "child"])
                age = rng.randint(22, 88) if relationship != "child" else rng.randint(0, 25)
                sex = rng.choice("FM")
                born = self.as_of - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
                first, last = names.first(sex, born.year), rng.choice(SURNAMES)
                national_id = f"S{person_id:09d}N" if age >= 18 and rng.random() < 0.7 else None
                people.append(
                    (person_id, self.m.pk, unit.pk, first, last, names.male(born.year - 28), sex,
                     born, national_id, household_id, relationship, "", "", "", None,
                     fold(f"{first} {last}"), True, self.worker.pk, created, created, 1)
                )  # fmt: skip
                # The household's first member is the one in need; others sometimes too.
                if position == 0 or rng.random() < 0.2:
                    for code in self._categories_for(age):
                        since = self._day(created.date(), self.as_of)
                        until = self._day(since, self.as_of) if rng.random() < 0.1 else None
                        categories.append(
                            (category_id, person_id, self.categories[code], "", since, until,
                             "vendim i njësisë (sintetik)", self.worker.pk, created)
                        )  # fmt: skip
                        category_id += 1
                person_id += 1
                made += 1
            household_id += 1
        w.write(
            "registry_household",
            ["id", "municipality_id", "unit_id", "address", "created_at"],
            as_stored(iter(households)),
        )
        w.write(
            "registry_person",
            ["id", "municipality_id", "unit_id", "first_name", "last_name", "fathers_name",
             "sex", "date_of_birth", "national_id", "household_id", "relationship", "address",
             "phone", "email", "merged_into_id", "search_name", "synthetic", "created_by_id",
             "created_at", "updated_at", "version"],
            as_stored(iter(people)),
        )  # fmt: skip
        w.write(
            "registry_personcategory",
            ["id", "person_id", "category_id", "detail", "start_date", "end_date", "source",
             "recorded_by_id", "recorded_at"],
            as_stored(iter(categories)),
        )  # fmt: skip
        # What the later steps need of a person: id, unit, created.
        return [(p[0], p[2], p[18]) for p in people]

    def _categories_for(self, age: int) -> list[str]:
        fitting = [(c, w) for c, (w, lo, hi) in CATEGORY_WEIGHTS.items() if lo <= age <= hi]
        first = _weighted(self.rng, fitting)
        if self.rng.random() < 0.15:
            second = _weighted(self.rng, fitting)
            if second != first:
                return [first, second]
        return [first]

    # -- cases, their history, consents, referrals

    def _cases(self, people) -> list[dict]:
        rng, w = self.rng, self.w
        chosen = rng.sample(people, min(self.cases, len(people)))
        case_id = w.next_id("cases_case")
        event_id, consent_id = w.next_id("cases_caseevent"), w.next_id("cases_consent")
        referral_id = w.next_id("cases_referral")
        planned = []
        for person_id, unit_id, created in chosen:
            final = _weighted(rng, FINAL_STEPS)
            opened = self._moment(self._day(created.date(), self.as_of))
            if final == Status.CLOSED:
                reach = rng.choice(ROUTE)
                path = ROUTE[: ROUTE.index(reach) + 1] + [Status.CLOSED]
            else:
                path = ROUTE[: ROUTE.index(final) + 1]
            moments = [opened]
            for step in path[1:]:
                days = rng.randint(1, 40) if step != Status.CLOSED else rng.randint(10, 200)
                moments.append(min(moments[-1] + datetime.timedelta(days=days), self.now))
            planned.append((person_id, unit_id, path, moments))
        # References: one block per year the cases were opened in.
        by_year: dict[int, int] = {}
        for _p, _u, _path, moments in planned:
            by_year[moments[0].year] = by_year.get(moments[0].year, 0) + 1
        references = {y: iter(next_case_references(self.m, y, n)) for y, n in by_year.items()}
        referred = [p for p in planned if Status.REFERRED in p[2]]
        ref_years: dict[int, int] = {}
        for _p, _u, path, moments in referred:
            year = moments[path.index(Status.REFERRED)].year
            ref_years[year] = ref_years.get(year, 0) + 1
        ref_refs = {y: iter(next_referral_references(self.m, y, n)) for y, n in ref_years.items()}

        cases, events, consents, referrals, served = [], [], [], [], []
        for person_id, unit_id, path, moments in planned:
            status, changed = path[-1], moments[-1]
            owner = rng.choice(self.workers).pk
            closed = changed if status == Status.CLOSED else None
            days = DEFAULT_DEADLINE_DAYS.get(status)
            due = changed + datetime.timedelta(days=days) if days else None
            first_service = (
                moments[path.index(Status.IN_SERVICE)] if Status.IN_SERVICE in path else None
            )
            cases.append(
                (case_id, self.m.pk, unit_id, person_id, next(references[moments[0].year]),
                 status, owner, rng.choice(["low", "medium", "medium", "high"]),
                 "normal", "Rast sintetik", moments[0], changed, due, first_service, closed, 1)
            )  # fmt: skip
            previous = ""
            for step, at in zip(path, moments, strict=True):
                events.append((event_id, case_id, at, owner, previous, step, ""))
                previous, event_id = step, event_id + 1
            if Status.REFERRED in path:
                service = rng.choice(self.services)
                sent = moments[path.index(Status.REFERRED)]
                consents.append(
                    (consent_id, person_id, case_id, service.organisation_id,
                     "Referim për shërbim", sent.date(), owner, sent, None, None)
                )  # fmt: skip
                if first_service:
                    state, responded = "completed", first_service
                    outcome = "served"
                elif status == Status.REFERRED:
                    state, responded, outcome = "sent", None, ""
                else:
                    state, responded, outcome = "declined", sent + datetime.timedelta(days=2), ""
                referrals.append(
                    (referral_id, case_id, service.pk, service.organisation_id,
                     next(ref_refs[sent.year]), state, "Shërbim sipas planit të rastit",
                     consent_id, "", owner, sent, None, responded,
                     "Nuk ka kapacitet" if state == "declined" else "", outcome, "",
                     responded if outcome else None, False)
                )  # fmt: skip
                if first_service:
                    until = (closed or self.now).date()
                    served.append((person_id, unit_id, case_id, referral_id, service,
                                   first_service.date(), until))  # fmt: skip
                consent_id, referral_id = consent_id + 1, referral_id + 1
            case_id += 1
        w.write(
            "cases_case",
            ["id", "municipality_id", "unit_id", "person_id", "reference", "status", "owner_id",
             "risk", "priority", "summary", "opened_at", "status_changed_at", "due_at",
             "first_service_at", "closed_at", "version"],
            as_stored(iter(cases)),
        )  # fmt: skip
        w.write(
            "cases_caseevent",
            ["id", "case_id", "at", "by_id", "from_status", "to_status", "note"],
            as_stored(iter(events)),
        )
        w.write(
            "cases_consent",
            ["id", "person_id", "case_id", "recipient_id", "purpose", "given_on",
             "recorded_by_id", "recorded_at", "withdrawn_on", "withdrawn_by_id"],
            as_stored(iter(consents)),
        )  # fmt: skip
        w.write(
            "cases_referral",
            ["id", "case_id", "service_id", "organisation_id", "reference", "state", "purpose",
             "consent_id", "override_reason", "sent_by_id", "sent_at", "responded_by_id",
             "responded_at", "decline_reason", "outcome", "outcome_notes", "outcome_at",
             "reply_recorded_by_staff"],
            as_stored(iter(referrals)),
        )  # fmt: skip
        return served

    # -- service events

    def _events(self, people, served):
        """Spread the municipality's events over service spells: the served cases, and
        people served without a case (meals, day care, community services)."""
        rng = self.rng
        spells = list(served)
        for person_id, unit_id, created in rng.sample(people, max(1, len(people) // 3)):
            service = rng.choice(self.services)
            first = self._day(created.date(), self.as_of)
            spells.append((person_id, unit_id, None, None, service, first,
                           self._day(first, self.as_of)))  # fmt: skip
        lengths = [max(1, (s[6] - s[5]).days) for s in spells]
        total = sum(lengths)
        event_id = self.w.next_id("cases_serviceevent")

        def rows():
            nonlocal event_id
            for spell, length in zip(spells, lengths, strict=True):
                person_id, unit_id, case_id, referral_id, service, first, last = spell
                count = max(1, round(self.events * length / total))
                kind = EVENT_KINDS.get(service.type, "session")
                span = (last - first).days
                for _ in range(count):
                    day = first + datetime.timedelta(days=int(rng.random() * (span + 1)))
                    yield (event_id, self.m.pk, unit_id, person_id, case_id, referral_id,
                           service.pk, service.organisation_id, day, kind)  # fmt: skip
                    event_id += 1

        self.w.write(
            "cases_serviceevent",
            ["id", "municipality_id", "unit_id", "person_id", "case_id", "referral_id",
             "service_id", "organisation_id", "date", "kind"],
            as_stored(rows()),
        )  # fmt: skip

    # -- progress reports on the plan copy

    def _progress(self, plan: Plan):
        rng = self.rng
        activities = list(
            Activity.objects.filter(measure__objective__priority__plan=plan).order_by("pk")
        )
        lines: dict[int, list[BudgetLine]] = {}
        for line in BudgetLine.objects.filter(activity__in=activities, amount__isnull=False):
            lines.setdefault(line.activity_id, []).append(line)
        reports, spending = [], []
        for year in range(max(plan.period_start.year, self.start.year), self.as_of.year + 1):
            for activity in activities:
                state = _weighted(rng, REPORT_STATES)
                at = self._moment(datetime.date(year, 12, 1) if year < self.as_of.year
                                  else self.as_of)  # fmt: skip
                report = ProgressReport(
                    plan=plan, activity=activity, year=year, quarter=0,
                    reporter_key="directorate", status=_weighted(rng, REPORT_STATUSES),
                    narrative="Raport sintetik", state=state, created_by=self.worker,
                    submitted_by=self.worker if state != "draft" else None,
                    submitted_at=at if state != "draft" else None,
                    approved_by=self.director if state == "approved" else None,
                    approved_at=at if state == "approved" else None,
                )  # fmt: skip
                reports.append(report)
        ProgressReport.objects.bulk_create(reports, batch_size=2000)
        for report in reports:
            if report.state != "approved":
                continue
            for line in lines.get(report.activity_id, []):
                share = rng.uniform(0.1, 0.6)
                spending.append(Spending(report=report, budget_line=line,
                                         amount=int(line.amount * share)))  # fmt: skip
        Spending.objects.bulk_create(spending, batch_size=5000)
        self.w.counts["monitoring_progressreport"] = self.w.counts.get(
            "monitoring_progressreport", 0
        ) + len(reports)


# ------------------------------------------------------------------ clearing


def clear_national() -> dict[str, int]:
    """Remove what generate_national made (people by the synthetic.* accounts and all
    that hangs from them, the plan copies); municipalities, units and the made-up
    directories stay, so a second run reuses them."""
    users = list(
        get_user_model()
        .objects.filter(username__startswith="synthetic.")
        .values_list("pk", flat=True)
    )
    if not users:
        return {}
    marks = ", ".join(str(u) for u in users)
    people = f"SELECT id FROM registry_person WHERE synthetic AND created_by_id IN ({marks})"
    cases = f"SELECT id FROM cases_case WHERE person_id IN ({people})"
    statements = [
        ("cases_serviceevent", f"person_id IN ({people})"),
        ("cases_referral", f"case_id IN ({cases})"),
        ("cases_consent", f"case_id IN ({cases})"),
        ("cases_caseevent", f"case_id IN ({cases})"),
        ("cases_case", f"id IN ({cases})"),
        ("registry_personcategory", f"person_id IN ({people})"),
        ("registry_person", f"id IN ({people})"),
        # Households made here that are left without members.
        ("registry_household", f"address LIKE '%{MARK}' AND NOT EXISTS (SELECT 1 FROM "
                               "registry_person p WHERE p.household_id = registry_household.id)"),
    ]  # fmt: skip
    removed = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for table, where in statements:
            cursor.execute(f"DELETE FROM {table} WHERE {where}")
            removed[table] = cursor.rowcount
        copies = Plan.objects.filter(title__endswith=MARK)
        _total, by_model = ProgressReport.objects.filter(plan__in=copies).delete()
        removed.update({label.lower(): n for label, n in by_model.items()})
    tallies.refresh_all()
    return removed
