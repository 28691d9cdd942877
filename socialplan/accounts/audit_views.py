"""The audit log, searchable by auditors (and nobody edits it)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from .access import memberships
from .audit import record
from .forms_audit import AuditSearchForm
from .models import AuditEvent, Membership


@login_required
def audit_search(request):
    if not (
        request.user.is_superuser
        or any(m.role == Membership.Role.AUDITOR for m in memberships(request.user))
    ):
        raise PermissionDenied
    form = AuditSearchForm(request.GET or None)
    events = AuditEvent.objects.select_related("user")
    if form.is_valid():
        data = form.cleaned_data
        if data["username"]:
            events = events.filter(user__username=data["username"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"])
        if data["person"]:
            events = events.filter(subjects__person_id=data["person"])
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    # Reading the audit log is itself recorded.
    record(request, "search", summary="audit log")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "accounts/audit.html", {"form": form, "page": page, "query": query.urlencode()}
    )
