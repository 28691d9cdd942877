from django.urls import path

from . import import_views, views

app_name = "plan"
urlpatterns = [
    path("", views.plan_list, name="list"),
    # Before "<slug>/": "import" is not a plan.
    path("import/", import_views.import_form, name="import"),
    path("import/preview/", import_views.import_preview, name="import_preview"),
    path("import/reading/<str:result_id>/", import_views.import_reading, name="import_reading"),
    path("import/confirm/", import_views.import_confirm, name="import_confirm"),
    path("<slug:slug>/export.xlsx", import_views.export_xlsx, name="export_xlsx"),
    path("<slug:slug>/", views.overview, name="overview"),
    path("<slug:slug>/p/<int:number>/", views.priority_detail, name="priority"),
    path("<slug:slug>/os/<str:code>/", views.objective_detail, name="objective"),
    path("<slug:slug>/measures/<int:pk>/", views.measure_detail, name="measure"),
    path("<slug:slug>/activities/<int:pk>/", views.activity_detail, name="activity"),
    path("<slug:slug>/budget/", views.budget, name="budget"),
    path("<slug:slug>/funding-needed/", views.funding, name="funding"),
    path("<slug:slug>/versions/", views.versions, name="versions"),
    path("<slug:slug>/revise/", views.revise, name="revise"),
    path("<slug:slug>/diff/<slug:other_slug>/", views.plan_diff, name="diff"),
]
