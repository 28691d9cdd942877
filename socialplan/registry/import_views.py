"""Import a list of people: upload, map the columns, review, confirm.

The upload page makes only the cheap checks and queues the reading; the
registering is queued too (registry/tasks.py). While a task runs, or once a
list was registered, failed or expired, every page of the batch shows its
status instead, refreshing itself while there is something to wait for.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialplan.accounts.audit import record
from socialplan.accounts.scope import Scope
from socialplan.directory.models import Category
from socialplan.uploads import CSV_ENCODINGS, UploadError, check_table

from . import imports, tasks
from .access import visible_people
from .duplicates import ask_duplicate_check
from .models import ImportBatch
from .views import _registering_membership, _units_for


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("A list of people (.xlsx or .csv, the first row naming the columns)")
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding of a CSV file"),
        choices=CSV_ENCODINGS,
        initial="utf-8",
        required=False,
        help_text=gettext_lazy(
            "UTF-8 unless the file was saved by an older program; an Excel file needs none."
        ),
    )


class MappingForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category in need of everyone on the list (optional)"),
        queryset=Category.objects.all(),
        required=False,
        to_field_name="code",
    )
    category_source = forms.CharField(
        label=gettext_lazy("Source of the list (e.g. “vendim NE, maj 2026”)"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args, headers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(i), h or f"#{i + 1}") for i, h in enumerate(headers)]
        for code, label, _words in imports.FIELDS:
            self.fields[f"col_{code}"] = forms.ChoiceField(
                label=label, choices=choices, required=code in imports.REQUIRED
            )

    def mapping(self) -> dict:
        return {
            code: int(self.cleaned_data[f"col_{code}"])
            for code, _label, _words in imports.FIELDS
            if self.cleaned_data.get(f"col_{code}") not in (None, "")
        }


def _batch(request, pk) -> ImportBatch:
    # Only the person who uploaded a list reviews and confirms it.
    # (The uploaded bytes, kept only until the worker reads them, stay in the database.)
    batch = get_object_or_404(ImportBatch.objects.defer("upload"), pk=pk, created_by=request.user)
    if batch.created_at < timezone.now() - imports.EXPIRE_AFTER:
        # The worker may not have swept it yet: the page never shows stale rows.
        tasks.expire_batch(batch.pk)
        batch.refresh_from_db()
    return batch


def _status(request, batch):
    """The page of a batch that is not ready for review: being read, registered, failed, expired."""
    response = render(request, "registry/import_status.html", {"batch": batch})
    if batch.status in (ImportBatch.Status.READING, ImportBatch.Status.CONFIRMING):
        response["Refresh"] = "2"  # the browser asks again until the task is done
    return response


@login_required
def upload(request):
    membership = _registering_membership(request.user)
    if membership is None:
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file, encoding = form.cleaned_data["file"], form.cleaned_data["encoding"] or "utf-8"
        try:
            data = check_table(file, encoding)
        except UploadError as exc:
            form.add_error("file", str(exc))
        else:
            batch = ImportBatch.objects.create(
                municipality=membership.municipality,
                created_by=request.user,
                file_name=(file.name or "")[-200:],
                status=ImportBatch.Status.READING,
                upload=data,
                encoding=encoding,
            )
            tasks.read_list.enqueue(batch.pk, translation.get_language())
            tasks.queue_expiry(batch)
            return redirect("registry:import_mapping", pk=batch.pk)
    return render(request, "registry/import_upload.html", {"form": form})


@login_required
def mapping(request, pk):
    batch = _batch(request, pk)
    if batch.status != ImportBatch.Status.READY:
        return _status(request, batch)
    initial = {f"col_{code}": str(i) for code, i in batch.mapping.items()}
    initial.update({"category": batch.category_code, "category_source": batch.category_source})
    form = MappingForm(request.POST or None, headers=batch.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        batch.mapping = form.mapping()
        category = form.cleaned_data["category"]
        batch.category_code = category.code if category else ""
        batch.category_source = form.cleaned_data["category_source"]
        batch.save(update_fields=["mapping", "category_code", "category_source"])
        return redirect("registry:import_review", pk=batch.pk)
    return render(
        request,
        "registry/import_mapping.html",
        {"form": form, "batch": batch, "sample": batch.rows[:3]},
    )


@login_required
def review(request, pk):
    batch = _batch(request, pk)
    if batch.status != ImportBatch.Status.READY:
        return _status(request, batch)
    rows = imports.review(batch, _units_for(request.user, batch.municipality))
    shown = _split_duplicates(Scope.of(request), rows)
    record(
        request,
        "view",
        batch,
        summary=f"register import review, {len(rows)} rows",
        people=shown,
    )
    return render(
        request,
        "registry/import_review.html",
        {
            "batch": batch,
            "rows": rows,
            "errors": sum(1 for r in rows if r.errors),
            "duplicates": sum(1 for r in rows if r.duplicate_of or r.duplicate_in_file),
            "importable": sum(1 for r in rows if r.importable),
        },
    )


@login_required
@require_POST
def confirm(request, pk):
    batch = _batch(request, pk)
    units = _units_for(request.user, batch.municipality)
    # Only a batch ready for review is queued, once, however often the button is pressed.
    queued = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.READY).update(
        status=ImportBatch.Status.CONFIRMING, error=""
    )
    if queued:
        record(
            request, "import", batch, summary=f"register import confirmed, {len(batch.rows)} rows"
        )
        tasks.register_list.enqueue(batch.pk, [u.pk for u in units], translation.get_language())
    return redirect("registry:import_review", pk=pk)


@login_required
@require_POST
def abandon(request, pk):
    _batch(request, pk).delete()
    messages.info(request, _("The uploaded list was deleted; nothing was registered."))
    return redirect("registry:search")


def _split_duplicates(scope, rows) -> list[int]:
    """Link only the duplicates the user may see; for the others say that one exists,
    not who, where or why (as registration does), and ask the NJVRN to check.
    Returns the ids of the people the page links to."""
    ids = {p.pk for row in rows for p in (row.duplicate_of or [])}
    visible = (
        set(visible_people(scope.user).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    hidden = []
    for row in rows:
        found = row.duplicate_of or []
        row.visible_duplicates = [p for p in found if p.pk in visible]
        row.hidden_duplicate = any(p.pk not in visible for p in found)
        hidden += [p for p in found if p.pk not in visible]
    if hidden:
        ask_duplicate_check(scope, list({p.pk: p for p in hidden}.values()))
    return sorted(visible)
