from django.core.exceptions import PermissionDenied, ValidationError
from ninja import NinjaAPI

from .cases import referrals_router
from .cases import router as cases_router
from .directory import router as directory_router
from .emergency import router as emergency_router
from .hsds import router as hsds_router
from .monitoring import router as monitoring_router
from .national import router as national_router
from .plans import router as plans_router
from .public_areas import consultations_router, municipalities_router
from .register import router as register_router

api = NinjaAPI(
    title="Local Social Plan API",
    version="1",
    description=(
        "The Local Social Plans as data. Plans, consultations, municipalities (population and "
        "needs figures) and the services directory (HSDS) are public. The register, cases, "
        "referrals, editing services, progress reports and emergencies need a bearer "
        "token (`Authorization: Bearer <secret>`; an administrator makes one with "
        "`manage.py create_api_token USERNAME NAME`), act as the token's user under the same "
        "access rules as the pages, and leave the same audit rows. Lists take `limit` and "
        "`offset` and give the total `count`."
    ),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(ValidationError)
def refused(request, exc):
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=400)


api.add_router("/plans", plans_router)
api.add_router("/plans", consultations_router)
api.add_router("/municipalities", municipalities_router)
api.add_router("/hsds", hsds_router)
api.add_router("/people", register_router)
api.add_router("/cases", cases_router)
api.add_router("/referrals", referrals_router)
api.add_router("/services", directory_router)
api.add_router("/progress-reports", monitoring_router)
api.add_router("/emergencies", emergency_router)
api.add_router("/national", national_router)
