from socialplan.datafile import LoadCommand
from socialplan.directory.loader import load_directory_file


class Command(LoadCommand):
    help = "Load a services directory file (docs/directory-format.md). Idempotent; all or nothing."

    def load(self, path):
        return load_directory_file(path)

    def describe(self, municipality):
        return (
            f"{municipality.name}: {municipality.organisations.count()} organisations, "
            f"{municipality.services.count()} services"
        )
