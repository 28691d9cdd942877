from django.urls import path

from . import views

app_name = "needs"
urlpatterns = [path("<slug:code>/", views.needs_figures, name="figures")]
