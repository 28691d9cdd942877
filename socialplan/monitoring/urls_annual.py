"""Routes of the annual monitoring report (views in annual_views.py)."""

from django.urls import path

from . import annual_views as views

urlpatterns = [
    # Staff: the live preview, its downloads, and publishing.
    path("<slug:slug>/<int:year>/annual/", views.annual_preview, name="annual_preview"),
    path(
        "<slug:slug>/<int:year>/annual/preview.pdf",
        views.annual_preview_pdf,
        name="annual_preview_pdf",
    ),
    path(
        "<slug:slug>/<int:year>/annual/preview.docx",
        views.annual_preview_docx,
        name="annual_preview_docx",
    ),
    path("<slug:slug>/<int:year>/annual/publish/", views.annual_publish, name="annual_publish"),
    # Public: published versions (listed in accounts.middleware.PUBLIC_PATHS).
    path("<slug:slug>/published/", views.published_list, name="published_list"),
    path("<slug:slug>/<int:year>/v<int:version>/", views.published, name="published"),
    path(
        "<slug:slug>/<int:year>/v<int:version>/report.pdf",
        views.published_pdf,
        name="published_pdf",
    ),
    path(
        "<slug:slug>/<int:year>/v<int:version>/report.docx",
        views.published_docx,
        name="published_docx",
    ),
]
