from django.core.management.base import BaseCommand, CommandError

from socialplan.dbroles import connected_as
from socialplan.national.synthetic import (
    SIZES,
    clear_national,
    generate_national,
    national_dataset_present,
)


class Command(BaseCommand):
    help = (
        "Make a SYNTHETIC national dataset (61 municipalities, invented people, cases, "
        "referrals, service events, progress reports) for benchmarks and scale tests."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--clear", action="store_true", help="remove an earlier run first")
        parser.add_argument(
            "--reuse", action="store_true", help="do nothing if a dataset is already here"
        )

    def handle(self, *args, **options):
        # As the owner: the load drops and re-adds foreign keys (bulkwrite).
        with connected_as("owner"):
            self.generate(**options)

    def generate(self, *, size, seed, clear, reuse, **options):
        if reuse and national_dataset_present():
            self.stdout.write("A synthetic national dataset is already here: kept.")
            return
        if clear:
            for table, count in clear_national().items():
                self.stdout.write(f"removed {count:,} from {table}")
        try:
            summary = generate_national(size=size, seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"SYNTHETIC national dataset, size {size} (made-up people):")
        for line in summary.lines():
            self.stdout.write(f"  {line}")
