"""Consultations and their recommendations: read by anyone, recorded by the directorate.

Consultations hold no personal data (groups and counts only; small groups
are hidden in public, see consultation_report.py), so the list and the
detail are public pages. Recording is for the director and the planner of
the plan's municipality.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialplan.accounts.access import manages_municipality
from socialplan.plan.models import Plan

from . import consultation_actions as actions
from .consultation_forms import ConsultationForm, DecisionForm, RecommendationForm, plan_activities
from .consultation_report import consultations_with_participants, participants_of
from .models import Consultation, Recommendation

Decision = Recommendation.Decision
STALE = gettext_lazy(
    "Someone else recorded a decision on this recommendation after you opened the page. "
    "Nothing was saved: reload the page."
)


def _plan(slug) -> Plan:
    return get_object_or_404(Plan.objects.select_related("municipality"), slug=slug)


def _consultation(pk) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("plan__municipality", "unit"), pk=pk
    )


def _managed_plan(user, slug) -> Plan:
    plan = _plan(slug)
    if not manages_municipality(user, plan.municipality_id):
        raise PermissionDenied
    return plan


def _managed_consultation(user, pk) -> Consultation:
    consultation = _consultation(pk)
    if not manages_municipality(user, consultation.plan.municipality_id):
        raise PermissionDenied
    return consultation


def _managed_recommendation(user, pk) -> Recommendation:
    recommendation = get_object_or_404(
        Recommendation.objects.select_related("consultation__plan__municipality"), pk=pk
    )
    if not manages_municipality(user, recommendation.consultation.plan.municipality_id):
        raise PermissionDenied
    return recommendation


def _url(consultation) -> str:
    return reverse("monitoring:consultation", args=[consultation.pk])


def consultation_list(request, slug):
    plan = _plan(slug)
    can_manage = manages_municipality(request.user, plan.municipality_id)
    queryset = plan.consultations.select_related("unit").annotate(
        recommendation_count=Count("recommendations"),
        **{
            f"{code}_count": Count("recommendations", filter=Q(recommendations__decision=code))
            for code in Decision.values
        },
    )
    consultations = consultations_with_participants(queryset, public=not can_manage)
    return render(
        request,
        "monitoring/consultations.html",
        {"plan": plan, "consultations": consultations, "can_manage": can_manage},
    )


@login_required
def consultation_create(request, slug):
    plan = _managed_plan(request.user, slug)
    form = ConsultationForm(request.POST or None, municipality=plan.municipality)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consultation = actions.record_consultation(
            request=request,
            by=request.user,
            plan=plan,
            date=data["date"],
            kind=data["kind"],
            unit=data["unit"],
            participants=data["participants_text"],
            notes=data["notes"],
        )
        messages.success(request, _("Consultation recorded. Add its recommendations below."))
        return redirect(_url(consultation))
    return render(request, "monitoring/consultation_form.html", {"plan": plan, "form": form})


def _detail(request, consultation, *, add_form=None, bound_decision=None, status=200):
    """The detail page; after a refused form, the same page with the form's errors."""
    can_manage = manages_municipality(request.user, consultation.plan.municipality_id)
    recommendations = list(
        consultation.recommendations.select_related("activity__measure__objective__priority__plan")
    )
    if can_manage:
        activities = plan_activities(consultation.plan)
        add_form = add_form or RecommendationForm(plan=consultation.plan)
        for recommendation in recommendations:
            if bound_decision is not None and bound_decision[0] == recommendation.pk:
                recommendation.form = bound_decision[1]
            else:
                recommendation.form = DecisionForm(
                    recommendation=recommendation,
                    activities=activities,
                    prefix=f"r{recommendation.pk}",
                )
    return render(
        request,
        "monitoring/consultation.html",
        {
            "plan": consultation.plan,
            "consultation": consultation,
            "people": participants_of(consultation, public=not can_manage),
            "recommendations": recommendations,
            "can_manage": can_manage,
            "add_form": add_form,
        },
        status=status,
    )


def consultation_detail(request, pk):
    return _detail(request, _consultation(pk))


@login_required
@require_POST
def recommendation_add(request, pk):
    consultation = _managed_consultation(request.user, pk)
    form = RecommendationForm(request.POST, plan=consultation.plan)
    if not form.is_valid():
        return _detail(request, consultation, add_form=form)
    actions.add_recommendation(
        request=request,
        by=request.user,
        consultation=consultation,
        text=form.cleaned_data["text"],
        activity=form.cleaned_data["activity"],
    )
    messages.success(request, _("Recommendation added."))
    return redirect(_url(consultation))


@login_required
@require_POST
def recommendation_decide(request, pk):
    recommendation = _managed_recommendation(request.user, pk)
    consultation = recommendation.consultation
    form = DecisionForm(
        request.POST,
        recommendation=recommendation,
        activities=plan_activities(consultation.plan),
        prefix=f"r{recommendation.pk}",
    )
    stale = False
    if form.is_valid():
        try:
            actions.decide(
                request=request,
                by=request.user,
                recommendation=recommendation,
                decision=form.cleaned_data["decision"],
                justification=form.cleaned_data["justification"],
                activity=form.cleaned_data["activity"],
                seen_state=form.cleaned_data["state"],
            )
        except actions.StaleDecision:
            stale = True
            form.add_error(None, STALE)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(_url(consultation) + f"#recommendation-{recommendation.pk}")
    return _detail(
        request,
        consultation,
        bound_decision=(recommendation.pk, form),
        status=409 if stale else 200,
    )
