"""Recording consultations, their recommendations and the decisions on them."""

import hashlib

from django.db import transaction

from socialplan.accounts.audit import diff, record

from .models import Consultation, Recommendation


class StaleDecision(Exception):
    """Someone else recorded a decision after the page was opened."""


def decision_state(recommendation: Recommendation) -> str:
    """A short fingerprint of the decision as a page showed it."""
    text = "\x00".join(
        [
            recommendation.decision,
            recommendation.justification,
            str(recommendation.activity_id or ""),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@transaction.atomic
def record_consultation(
    *, request, by, plan, date, kind, participants, unit=None, notes=""
) -> Consultation:
    consultation = Consultation.objects.create(
        plan=plan,
        date=date,
        kind=kind,
        unit=unit,
        participants=participants,
        notes=notes,
        recorded_by=by,
    )
    record(
        request,
        "create",
        consultation,
        user=by,
        summary=f"consultation {kind} {date:%Y-%m-%d}, {consultation.participant_count} people",
        changes=diff({}, {"date": date, "kind": kind, "unit": unit, "participants": participants}),
    )
    return consultation


@transaction.atomic
def add_recommendation(*, request, by, consultation, text, activity=None) -> Recommendation:
    recommendation = Recommendation.objects.create(
        consultation=consultation, text=text, activity=activity
    )
    record(
        request,
        "create",
        recommendation,
        user=by,
        summary=f"recommendation to consultation {consultation.pk}",
        changes=diff({}, {"text": text, "activity": activity.pk if activity else None}),
    )
    return recommendation


@transaction.atomic
def decide(
    *, request, by, recommendation, decision, justification, activity, seen_state
) -> Recommendation:
    """Record the decision; StaleDecision if it changed since `seen_state` was shown."""
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if decision_state(locked) != seen_state:
        raise StaleDecision
    before = {
        "decision": locked.decision,
        "justification": locked.justification,
        "activity": locked.activity_id,
    }
    locked.decision = decision
    locked.justification = justification
    locked.activity = activity
    locked.save(update_fields=["decision", "justification", "activity"])
    after = {
        "decision": decision,
        "justification": justification,
        "activity": activity.pk if activity else None,
    }
    record(
        request,
        "change",
        locked,
        user=by,
        summary=f"recommendation {locked.pk}: {decision}",
        changes=diff(before, after),
    )
    return locked
