from socialplan.datafile import LoadCommand
from socialplan.territory.loader import load_territory_file


class Command(LoadCommand):
    help = "Load a territory file: administrative units and population figures (idempotent)."

    def load(self, path):
        return load_territory_file(path)

    def describe(self, municipality):
        return (
            f"{municipality.name}: {municipality.units.count()} units, "
            f"{municipality.population_figures.count()} population figures"
        )
