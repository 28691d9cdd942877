from django.urls import path, re_path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("open-data/", views.open_data, name="open_data"),
    re_path(
        r"^open-data/(?P<slug>[-\w]+)/(?P<code>[-a-z]+)\.(?P<fmt>csv|xlsx|json)$",
        views.dataset,
        name="dataset",
    ),
    path("open-data/<slug:slug>/<slug:code>/dictionary/", views.dictionary, name="dictionary"),
]
