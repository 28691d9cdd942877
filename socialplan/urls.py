from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from socialplan.accounts.audit_views import audit_search
from socialplan.accounts.views import StaffLoginView
from socialplan.api.main import api
from socialplan.registry.stats_views import statistics_public

admin.site.site_header = _("Local Social Plan: administration")
admin.site.site_title = _("Local Social Plan")

urlpatterns = [
    path("", include("socialplan.portal.urls")),
    path("plans/", include("socialplan.plan.urls")),
    path("territory/", include("socialplan.territory.urls")),
    path("directory/", include("socialplan.directory.urls")),
    path("needs/", include("socialplan.needs.urls")),
    path("registry/", include("socialplan.registry.urls")),
    path("cases/", include("socialplan.cases.urls")),
    path("emergency/", include("socialplan.emergency.urls")),
    path("monitoring/", include("socialplan.monitoring.urls")),
    path("statistics/<slug:code>/", statistics_public, name="registry_public_statistics"),
    path("national/", include("socialplan.national.urls")),
    path("audit/", audit_search, name="audit"),
    path("accounts/login/", StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("socialplan.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
