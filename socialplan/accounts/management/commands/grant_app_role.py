from django.core.management.base import BaseCommand, CommandError

from socialplan.dbroles import RoleError, connected_as, grant_app_role


class Command(BaseCommand):
    help = (
        "As the owner role (MIGRATE_DATABASE_URL), grant the application role "
        "(DATABASE_URL) its rights: rows of every table, only SELECT and INSERT "
        "on the audit log. `migrate` does this itself; see docs/database-roles.md."
    )

    def handle(self, *args, **options):
        with connected_as("owner"):
            try:
                app = grant_app_role()
            except RoleError as error:
                raise CommandError(str(error)) from error
        if app is None:
            self.stdout.write("One database role only (no MIGRATE_DATABASE_URL): nothing to grant.")
        else:
            self.stdout.write(f"Granted the application role {app} its rights.")
