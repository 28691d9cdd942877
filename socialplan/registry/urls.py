from django.urls import path

from . import import_views, stats_views, views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/categories/new/", views.category_add, name="category_add"),
    path("people/<int:pk>/assessments/new/", views.assessment_add, name="assessment_add"),
    path("people/<int:pk>/household/", views.household_start, name="household_start"),
    path("people/<int:pk>/merge/", views.merge, name="merge"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("duplicate-checks/", views.duplicate_checks, name="duplicate_checks"),
    path(
        "duplicate-checks/<int:pk>/resolve/",
        views.duplicate_check_resolve,
        name="duplicate_check_resolve",
    ),
    path("statistics/<slug:code>/", stats_views.statistics_staff, name="statistics"),
    path("import/", import_views.upload, name="import"),
    path("import/<int:pk>/columns/", import_views.mapping, name="import_mapping"),
    path("import/<int:pk>/review/", import_views.review, name="import_review"),
    path("import/<int:pk>/confirm/", import_views.confirm, name="import_confirm"),
    path("import/<int:pk>/abandon/", import_views.abandon, name="import_abandon"),
]
