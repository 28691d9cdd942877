from django.core.management.base import BaseCommand

from socialplan.registry.tasks import expire_imports


class Command(BaseCommand):
    help = (
        "Erase the rows of uploaded lists of people not confirmed within 24 hours "
        "(personal data kept only for the review); each erasure is audited. The "
        "background worker does the same on its own; this is for cron or by hand."
    )

    def handle(self, *args, **options):
        count = expire_imports()
        self.stdout.write(f"{count} unconfirmed import(s) expired.")
