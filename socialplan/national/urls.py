from django.urls import path

from . import views

app_name = "national"
urlpatterns = [
    path("", views.latest, name="latest"),
    path("<int:year>/", views.public, name="public"),
    path("<int:year>/staff/", views.staff, name="staff"),
]
