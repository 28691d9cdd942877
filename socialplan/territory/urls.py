from django.urls import path

from . import views

app_name = "territory"
urlpatterns = [path("<slug:code>/", views.municipality_detail, name="municipality")]
