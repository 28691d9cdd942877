from socialplan.cases.tests.conftest import (  # noqa: F401  (the same personas)
    day_centre,
    durres,
    family_member,
    ishem_admin,
    login,
    njvrn_worker,
    other_provider,
    planner,
    provider_worker,
    sukth,
    sukth_admin,
)
