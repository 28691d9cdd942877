from socialplan.datafile import LoadCommand
from socialplan.plan.loader import load_plan_file


class Command(LoadCommand):
    help = "Load a plan data file (docs/plan-format.md). Idempotent; all or nothing."

    def load(self, path):
        return load_plan_file(path)

    def describe(self, result):
        state = "loaded" if result.changed else "already loaded, unchanged"
        return f"{result.plan.slug}: {state}"
