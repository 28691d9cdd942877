from ninja import NinjaAPI

from .hsds import router as hsds_router
from .plans import router as plans_router

api = NinjaAPI(
    title="Local Social Plan API",
    version="1",
    description="Read the Local Social Plans: the plan tree, budget lines and reconciliation.",
    urls_namespace="api",
)
api.add_router("/plans", plans_router)
api.add_router("/hsds", hsds_router)
