from socialplan.datafile import LoadCommand
from socialplan.needs.loader import load_needs_file


class Command(LoadCommand):
    help = "Load a needs figures file (docs/needs-format.md). Idempotent; all or nothing."

    def load(self, path):
        return load_needs_file(path)

    def describe(self, municipality):
        return f"{municipality.name}: {municipality.need_figures.count()} needs figures"
