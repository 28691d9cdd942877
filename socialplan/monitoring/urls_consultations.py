"""Routes of consultations and recommendations (views in consultation_views.py)."""

from django.urls import path

from . import consultation_views as views

urlpatterns = [
    path("<slug:slug>/consultations/", views.consultation_list, name="consultations"),
    path("<slug:slug>/consultations/new/", views.consultation_create, name="consultation_create"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation"),
    path(
        "consultations/<int:pk>/recommendations/",
        views.recommendation_add,
        name="recommendation_add",
    ),
    path(
        "recommendations/<int:pk>/decision/",
        views.recommendation_decide,
        name="recommendation_decide",
    ),
]
