import time

from django.core.management.base import BaseCommand

from socialplan.national.tallies import refresh_all


class Command(BaseCommand):
    help = "Rebuild the maintained tallies the dashboards read (run nightly and after imports)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = refresh_all()
        self.stdout.write(
            f"{sum(rows.values()):,} tally rows for {len(rows)} municipalities "
            f"in {time.perf_counter() - started:.1f} s"
        )
