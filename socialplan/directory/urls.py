from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:organisation_pk>/services/new/",
        views.service_create,
        name="service_create",
    ),
    path("manage/", views.manage, name="manage"),
    path("history/<str:kind>/<int:pk>/", views.history, name="history"),
    path("coverage/<slug:code>/", views.coverage_public, name="coverage"),
    path("coverage/<slug:code>/staff/", views.coverage_staff, name="coverage_staff"),
]
