"""The national list of categories in need (codes are used by data files and imports)."""

# code, Albanian name, English name, special category of personal data
CATEGORIES = [
    ("families_in_need", "Familje në nevojë", "Families in need", False),
    ("children_at_risk", "Fëmijë në rrezik", "Children at risk", False),
    ("children_disability", "Fëmijë me aftësi të kufizuara", "Children with disabilities", True),
    ("adults_disability", "Të rritur me aftësi të kufizuara", "Adults with disabilities", True),
    ("youth_at_risk", "Të rinj në rrezik", "Young people at risk", False),
    ("elderly", "Të moshuar në nevojë", "Elderly people in need", False),
    ("domestic_violence", "Viktima të dhunës në familje", "Victims of domestic violence", True),
    ("trafficking", "Viktima të trafikimit", "Victims of trafficking", True),
    ("roma_egyptian", "Komuniteti rom dhe egjiptian", "Roma and Egyptian community", True),
    ("alcohol_use", "Përdorues të alkoolit", "Alcohol users", True),
    ("drug_use", "Përdorues të drogave", "Drug users", True),
    ("lgbtiq", "Persona LGBTIQ+", "LGBTIQ+ persons", True),
]


def ensure_categories(category_model) -> None:
    for position, (code, name, name_en, special) in enumerate(CATEGORIES):
        category_model.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "special": special, "position": position},
        )
