"""Django's migrate, run as the owner role; then the application role's grants.

With MIGRATE_DATABASE_URL set (socialplan.dbroles), the schema belongs to the
owner role, so only it may change it; every table a migration adds is then
granted to the application role at once. Without it, this is Django's migrate.
"""

from django.core.management.base import CommandError
from django.core.management.commands import migrate

from socialplan.dbroles import RoleError, connected_as, grant_app_role


class Command(migrate.Command):
    def handle(self, *args, **options):
        using = options["database"]
        with connected_as("owner", using):
            super().handle(*args, **options)
            try:
                app = grant_app_role(using)
            except RoleError as error:
                raise CommandError(str(error)) from error
        if app and options["verbosity"] >= 1:
            self.stdout.write(f"Granted the application role {app} its rights.")
