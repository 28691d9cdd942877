"""An example emergency protocol and the default list criteria for a municipality.

The steps are an example written from the plan's objective 2.2, marked as
such: the municipality replaces them with its own adopted protocol (a new
version, in the administration). Contact phone numbers are left for the
municipality to fill in.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from socialplan.emergency.lists import ensure_default_criteria
from socialplan.emergency.models import Protocol, ProtocolContact, ProtocolStep
from socialplan.territory.models import Municipality

STEPS = [
    (
        "Aktivizimi i grupit koordinues dhe njoftimi i kryetarit",
        "Drejtoria e Shërbimeve Sociale",
        1,
    ),
    ("Hartimi i listave të personave në rrezik për çdo njësi të prekur", "NJVRN", 2),
    ("Kontakt telefonik me çdo person në listë", "Administratorët shoqërorë", 12),
    (
        "Vizitë te të pakontaktuarit dhe te ata me nevoja të larta",
        "Administratorët shoqërorë, NJVRN",
        24,
    ),
    (
        "Strehim në qendrën emergjente 72-orëshe për ata pa strehë",
        "Qendra e Shërbimeve Emergjente",
        24,
    ),
    ("Referimi i nevojave të gjetura te shërbimet", "NJVRN", 48),
    ("Raport për drejtorin dhe mbyllja e ngjarjes", "Koordinatori i ngjarjes", 72),
]
CONTACTS = [
    ("Emergjenca Civile, Bashkia Durrës", "koordinimi i evakuimit"),
    ("Policia e Shtetit, Drejtoria Vendore Durrës", "siguria dhe urdhrat e mbrojtjes"),
    ("Qendra Shëndetësore", "kujdesi shëndetësor dhe mjekimet"),
    ("Kryqi i Kuq, Durrës", "ndihma materiale"),
]


class Command(BaseCommand):
    help = "Create an example emergency protocol (version 1) and default list criteria."

    def add_arguments(self, parser):
        parser.add_argument("municipality", nargs="?", default="durres")

    def handle(self, municipality, **options):
        place = Municipality.objects.filter(code=municipality).first()
        if place is None:
            raise CommandError(f"No municipality {municipality!r}: load its territory first.")
        ensure_default_criteria(place)
        if Protocol.objects.filter(municipality=place).exists():
            self.stdout.write(f"{place.name}: emergency protocol already present")
            return
        protocol = Protocol.objects.create(
            municipality=place,
            version=1,
            title="Protokolli i shërbimeve shoqërore në emergjenca (shembull)",
            adopted_on=datetime.date(2025, 1, 1),
            current=True,
            notes="Example written from objective 2.2 of the plan; replace with the adopted one.",
        )
        for position, (title, responsible, hours) in enumerate(STEPS, start=1):
            ProtocolStep.objects.create(
                protocol=protocol,
                position=position,
                title=title,
                responsible=responsible,
                due_after_hours=hours,
            )
        for institution, role in CONTACTS:
            ProtocolContact.objects.create(protocol=protocol, institution=institution, role=role)
        self.stdout.write(f"{place.name}: example emergency protocol v1 and list criteria created")
