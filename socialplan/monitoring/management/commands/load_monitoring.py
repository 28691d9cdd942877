from socialplan.datafile import LoadCommand
from socialplan.monitoring.loader import load_monitoring_file


class Command(LoadCommand):
    help = "Load a monitoring frame file (docs/monitoring-format.md). Idempotent; all or nothing."

    def load(self, path):
        return load_monitoring_file(path)

    def describe(self, plan):
        return f"{plan.slug}: monitoring frame loaded"
