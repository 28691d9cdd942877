"""Make a SYNTHETIC population of a municipality (made-up people) for demos and benchmarks."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from socialplan.registry.synthetic import generate_population
from socialplan.territory.models import Municipality


class Command(BaseCommand):
    help = (
        "Make a SYNTHETIC population of a municipality for demos and benchmarks: made-up "
        "people (synthetic=True) with households, categories in need, assessments, cases and "
        "referrals. --clear first removes the previous synthetic rows, never real ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "municipality", nargs="?", default="durres", help="municipality code (durres)"
        )
        parser.add_argument("--people", type=int, default=300, help="how many people (300)")
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed (1): same seed, same data"
        )
        parser.add_argument(
            "--clear",
            action="store_true",
            help="first delete the synthetic people of the municipality and their cases, "
            "referrals and households (real rows are never touched)",
        )
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the made-up history runs up to, YYYY-MM-DD (today)",
        )

    def handle(self, *args, **options):
        code = options["municipality"]
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            raise CommandError(
                f"No municipality {code!r}: load its territory first (manage.py load_territory)."
            )
        if not municipality.units.exists():
            raise CommandError(f"Municipality {code!r} has no administrative units.")
        try:
            summary = generate_population(
                municipality,
                people=options["people"],
                seed=options["seed"],
                as_of=options["as_of"],
                clear=options["clear"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            self.stdout.write(line)
