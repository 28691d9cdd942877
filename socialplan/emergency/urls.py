from django.urls import path

from . import views

app_name = "emergency"
urlpatterns = [
    path("", views.events, name="events"),
    path("activate/", views.activate, name="activate"),
    path("exercises/", views.exercises, name="exercises"),
    path("<int:pk>/", views.event_detail, name="event"),
    path("<int:pk>/steps/<int:step_pk>/done/", views.step_done, name="step_done"),
    path("<int:pk>/units/<int:unit_pk>/", views.unit_list, name="list"),
    path("<int:pk>/units/<int:unit_pk>/list.<str:fmt>", views.unit_list_export, name="list_export"),
    path("<int:pk>/units/<int:unit_pk>/respond/", views.respond, name="respond"),
    path("<int:pk>/shelter/<int:stay_pk>/leave/", views.shelter_leave, name="shelter_leave"),
    path("<int:pk>/close/", views.close, name="close"),
]
