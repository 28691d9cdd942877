from socialplan.cases.tests.conftest import (  # noqa: F401  (the same personas)
    day_centre,
    durres,
    ishem_admin,
    login,
    njvrn_worker,
    planner,
    provider_worker,
    sukth,
    sukth_admin,
)
