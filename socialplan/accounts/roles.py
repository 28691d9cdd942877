"""Staff roles as data: a Django group per role with the permissions it needs.

Roles tied to a unit or an organisation (issue: register and cases) will
extend this with memberships; for the plan, a group is enough.
"""

from django.contrib.auth.models import Group, Permission

PLAN_MODELS = [
    "plan",
    "priority",
    "objective",
    "measure",
    "activity",
    "target",
    "budgetline",
    "declaredtotal",
]

ROLES = {
    # The director of social services edits the plan.
    "director": {
        "name": "Drejtori i Shërbimeve Sociale",
        "plan": ["view", "change", "add", "delete"],
    },
    # The planning and monitoring sector keeps the plan's data up to date.
    "planner": {
        "name": "Sektori i Planifikimit dhe Monitorimit",
        "plan": ["view", "change", "add"],
    },
}


def ensure_role(role: str) -> Group:
    spec = ROLES[role]
    group, _ = Group.objects.get_or_create(name=spec["name"])
    codenames = [f"{action}_{model}" for action in spec["plan"] for model in PLAN_MODELS]
    perms = Permission.objects.filter(content_type__app_label="plan", codename__in=codenames)
    group.permissions.set(perms)
    return group
