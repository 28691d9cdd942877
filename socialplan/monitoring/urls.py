from django.urls import include, path

from . import views

app_name = "monitoring"
# Fixed prefixes ("reports/", "evidence/", "consultations/") come first: the
# "<slug>/<year>/" patterns below would otherwise swallow them.
urlpatterns = [
    path("", include("socialplan.monitoring.urls_consultations")),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:pk>/return/", views.report_return, name="report_return"),
    path("reports/<int:pk>/approve/", views.report_approve, name="report_approve"),
    path("reports/<int:pk>/reopen/", views.report_reopen, name="report_reopen"),
    path("reports/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("", include("socialplan.monitoring.urls_annual")),
    path("<slug:slug>/<int:year>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/<int:year>/public/", views.dashboard_public, name="dashboard_public"),
    path("<slug:slug>/<int:year>/reports/", views.report_list, name="reports"),
    path(
        "<slug:slug>/<int:year>/reports/new/<int:activity_pk>/",
        views.report_create,
        name="report_create",
    ),
]
