from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from socialplan.api.main import api

admin.site.site_header = _("Local Social Plan: administration")
admin.site.site_title = _("Local Social Plan")

urlpatterns = [
    path("", include("socialplan.portal.urls")),
    path("plans/", include("socialplan.plan.urls")),
    path("territory/", include("socialplan.territory.urls")),
    path("directory/", include("socialplan.directory.urls")),
    path("needs/", include("socialplan.needs.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
