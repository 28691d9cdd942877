"""Import a list of people: upload, map the columns, review, confirm."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialplan.accounts.audit import record
from socialplan.directory.models import Category
from socialplan.uploads import UploadError, read_table

from . import imports
from .models import ImportBatch
from .views import _registering_membership, _units_for


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("A list of people (.xlsx or .csv, the first row naming the columns)")
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
    return get_object_or_404(ImportBatch, pk=pk, created_by=request.user)


@login_required
def upload(request):
    membership = _registering_membership(request.user)
    if membership is None:
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            sheet = read_table(form.cleaned_data["file"])
            batch = imports.start_batch(
                user=request.user, municipality=membership.municipality, sheet=sheet
            )
        except (UploadError, ValueError) as exc:
            form.add_error("file", str(exc))
        else:
            batch.mapping = imports.guess_mapping(batch.headers)
            batch.save(update_fields=["mapping"])
            return redirect("registry:import_mapping", pk=batch.pk)
    return render(request, "registry/import_upload.html", {"form": form})


@login_required
def mapping(request, pk):
    batch = _batch(request, pk)
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
    rows = imports.review(batch, _units_for(request.user, batch.municipality))
    record(request, "view", batch, summary=f"register import review, {len(rows)} rows")
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
    try:
        created = imports.confirm(
            request=request, batch=batch, units=_units_for(request.user, batch.municipality)
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("registry:import_review", pk=pk)
    messages.success(request, _("%(n)s people registered.") % {"n": created})
    return redirect("registry:search")


@login_required
@require_POST
def abandon(request, pk):
    _batch(request, pk).delete()
    messages.info(request, _("The uploaded list was deleted; nothing was registered."))
    return redirect("registry:search")
