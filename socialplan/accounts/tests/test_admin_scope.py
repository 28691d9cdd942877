"""The Django admin is scoped to the municipalities a user manages, and audited.

The scenario (synthetic): Besnik plans in Durrës (and is a national viewer
for Tirana, which gives him no write access there); Arta directs Durrës's
social services. Tirana has a small plan of its own: one priority, objective,
measure, activity, target and a budget line of 1,234,567 lek. Neither may
open, change or delete a Tirana row in /admin/; what they change in Durrës
is written to the audit log with the old and new values.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.forms import MultiWidget, modelform_factory
from django.test import Client
from django.urls import reverse

from socialplan.accounts.admin_scope import (
    OUTSIDE_SCOPE,
    MunicipalityScopedAdmin,
    MunicipalityScopedInline,
    SuperuserOnlyAdmin,
    municipality_path,
    scoped_form,
)
from socialplan.accounts.models import AuditEvent, Membership
from socialplan.accounts.roles import ensure_role
from socialplan.directory.models import Category, Organisation, Service
from socialplan.plan.models import (
    Activity,
    BudgetLine,
    Measure,
    Objective,
    Plan,
    Priority,
    Target,
)
from socialplan.territory.models import Municipality

PASSWORD = "not-a-real-password"
INDEX = "/admin/"


@pytest.fixture
def tirana(durres_plan):
    """A second municipality with a small plan of its own (synthetic rows)."""
    town = Municipality.objects.create(code="tirane", name="Tiranë")
    plan = Plan.objects.create(
        municipality=town,
        slug="tirane-sintetike",
        title="Plani Social Sintetik i Tiranës",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2028, 12, 31),
    )
    priority = Priority.objects.create(plan=plan, number=1, title="Përparësia e Tiranës")
    objective = Objective.objects.create(priority=priority, code="1.1", title="Objektivi T")
    measure = Measure.objects.create(objective=objective, number=1, title="Masa T")
    activity = Activity.objects.create(measure=measure, position=1, title="Aktiviteti i Tiranës")
    Target.objects.create(
        activity=activity, position=1, text="20 familje", value=20, unit="familje"
    )
    line = BudgetLine.objects.create(
        activity=activity, position=1, printed="1,234,567", amount=1_234_567, source="municipality"
    )
    return {"municipality": town, "plan": plan, "activity": activity, "line": line}


def staff(username, role, municipality, *, group=None, extra=()):
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    if group:
        user.groups.add(ensure_role(group))
    Membership.objects.create(user=user, municipality=municipality, role=role)
    for other_role, other_municipality in extra:
        Membership.objects.create(user=user, municipality=other_municipality, role=other_role)
    return user


@pytest.fixture
def besnik(durres_plan, tirana, client):
    """Durrës planner; a national viewer of Tirana (no write access from that)."""
    user = staff(
        "besnik.planner",
        "planner",
        durres_plan.municipality,
        group="planner",
        extra=[("national", tirana["municipality"])],
    )
    client.force_login(user)
    return user


@pytest.fixture
def arta(durres_plan, tirana, client, verified_login):
    """Durrës director (a personal-data role: logged in past the TOTP step)."""
    user = staff("arta.drejtore", "director", durres_plan.municipality, group="director")
    verified_login(client, user)
    return user


def durres_line(plan):
    return BudgetLine.objects.filter(
        activity__measure__objective__priority__plan=plan, amount__isnull=False
    ).order_by("pk")[0]


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def form_data(response) -> dict:
    """What the admin's change page would post back unchanged (its form and inlines)."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, MultiWidget):  # date and time, apart
                for i, part in enumerate(bound.field.widget.decompress(value)):
                    data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# Reading, changing and deleting another municipality's rows


@pytest.mark.parametrize(
    "row, field, value",
    [("line", "amount", "999999999"), ("activity", "title", "pushtuar"), ("plan", "title", "X")],
)
def test_a_durres_planner_cannot_open_or_change_a_tirana_row(
    client, besnik, tirana, verified_login, row, field, value
):
    obj = tirana[row]
    before = type(obj).objects.filter(pk=obj.pk).values().get()
    # The attack posts a complete, valid form (as a superuser's page would hold it).
    root = get_user_model().objects.create_superuser("rrenja", password=PASSWORD)
    attack = form_data(verified_login(Client(), root).get(change_url(obj)))
    attack[field] = value

    opened = client.get(change_url(obj))
    assert opened.status_code == 302 and opened["Location"] == INDEX  # "does not exist"
    posted = client.post(change_url(obj), attack)
    assert posted.status_code == 302 and posted["Location"] == INDEX
    history = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])
    assert client.get(history)["Location"] == INDEX
    # A planner's role deletes nothing: the same refusal for any row, here or there.
    assert client.post(delete_url(obj), {"post": "yes"}).status_code == 403

    assert type(obj).objects.filter(pk=obj.pk).values().get() == before
    assert not AuditEvent.objects.filter(object_id=str(obj.pk), action__in=["change", "delete"])


def test_a_durres_director_cannot_delete_a_tirana_plan_one_or_in_bulk(client, arta, tirana):
    plan = tirana["plan"]
    single = client.post(delete_url(plan), {"post": "yes"})
    assert single.status_code == 302 and single["Location"] == INDEX
    bulk = client.post(
        changelist_url(Plan),
        {"action": "delete_selected", "_selected_action": [str(plan.pk)], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    line = tirana["line"]
    client.post(
        changelist_url(BudgetLine),
        {"action": "delete_selected", "_selected_action": [str(line.pk)], "post": "yes"},
    )
    assert Plan.objects.filter(pk=plan.pk).exists()
    assert BudgetLine.objects.filter(pk=line.pk).exists()
    assert not AuditEvent.objects.filter(action="delete")


def test_the_changelists_of_a_durres_planner_show_no_tirana_rows(
    client, besnik, tirana, durres_plan
):
    for model, tirana_text, durres_count in [
        (
            Plan,
            tirana["plan"].title,
            Plan.objects.filter(municipality=durres_plan.municipality).count(),
        ),
        (
            Activity,
            tirana["activity"].title,
            Activity.objects.filter(measure__objective__priority__plan=durres_plan).count(),
        ),
        (
            BudgetLine,
            "1,234,567",
            BudgetLine.objects.filter(
                activity__measure__objective__priority__plan=durres_plan
            ).count(),
        ),
    ]:
        response = client.get(changelist_url(model), {"all": ""})
        assert response.status_code == 200
        assert response.context["cl"].result_count == durres_count
        page = response.content.decode()
        # Neither a row nor a filter choice names Tirana's plan.
        assert tirana_text not in page and tirana["plan"].title not in page, model
    # A search for Tirana's text finds nothing either.
    found = client.get(changelist_url(Activity), {"q": "Aktiviteti i Tiranës"})
    assert found.context["cl"].result_count == 0


# Choices and saves that would cross into another municipality


def test_foreign_key_choices_in_the_add_form_exclude_other_municipalities(
    client, besnik, tirana, durres_plan
):
    form = client.get(reverse("admin:plan_priority_add")).context["adminform"].form
    plans = set(form.fields["plan"].queryset)
    assert durres_plan in plans and tirana["plan"] not in plans

    # Posting a Tirana parent anyway (a raw id field) is refused and saves nothing.
    lines = BudgetLine.objects.count()
    response = client.post(
        reverse("admin:plan_budgetline_add"),
        {
            "activity": str(tirana["activity"].pk),
            "position": "9",
            "amount": "999999999",
            "source": "municipality",
        },
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["activity"]
    assert BudgetLine.objects.count() == lines


def test_a_durres_row_cannot_be_repointed_to_a_tirana_parent(client, besnik, tirana, durres_plan):
    line = durres_line(durres_plan)
    data = form_data(client.get(change_url(line)))
    data["activity"] = str(tirana["activity"].pk)
    response = client.post(change_url(line), data)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    line.refresh_from_db()
    assert line.activity.measure.objective.priority.plan == durres_plan


def test_a_save_into_an_unmanaged_municipality_is_refused_with_a_message(besnik, tirana):
    """The last guard, should a form ever let a foreign parent through its choices."""
    form_class = scoped_form(
        modelform_factory(BudgetLine, fields=["printed"]),
        "activity__measure__objective__priority__plan__municipality",
        {besnik.memberships.get(role="planner").municipality_id},
    )
    form = form_class({"printed": "999,999,999"}, instance=tirana["line"])
    assert not form.is_valid()
    assert str(OUTSIDE_SCOPE) in form.non_field_errors()


# The audit trail of admin changes


def test_a_change_by_the_planner_within_durres_is_audited_with_its_diff(
    client, besnik, durres_plan
):
    line = durres_line(durres_plan)
    old = line.amount
    data = form_data(client.get(change_url(line)))
    data["amount"] = str(old + 1000)
    response = client.post(change_url(line), data)
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.amount == old + 1000
    event = AuditEvent.objects.get(action="change", object_type="plan.budgetline")
    assert event.object_id == str(line.pk) and event.user == besnik
    assert event.summary.startswith("admin:")
    assert event.changes == {"amount": [str(old), str(old + 1000)]}


def test_inline_edits_adds_and_bulk_deletes_are_audited(client, arta, durres_plan):
    activity = Activity.objects.filter(
        measure__objective__priority__plan=durres_plan, budget_lines__amount__isnull=False
    ).first()
    line = activity.budget_lines.filter(amount__isnull=False).first()
    page = client.get(change_url(activity))
    data = form_data(page)
    formset = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is BudgetLine
    )
    index = [form.instance.pk for form in formset.forms].index(line.pk)
    data[f"{formset.prefix}-{index}-amount"] = str(line.amount + 5)
    assert client.post(change_url(activity), data).status_code == 302
    inline = AuditEvent.objects.get(action="change", object_type="plan.budgetline")
    assert inline.object_id == str(line.pk)
    assert inline.changes == {"amount": [str(line.amount), str(line.amount + 5)]}
    assert AuditEvent.objects.filter(action="change", object_type="plan.activity").exists()

    # Through the same page: one target added, one deleted.
    old_target = Target.objects.create(
        activity=activity, position=40, text="4 vizita", parsed=False
    )
    page = client.get(change_url(activity))
    data = form_data(page)
    targets = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is Target
    )
    gone = [form.instance.pk for form in targets.forms].index(old_target.pk)
    data[f"{targets.prefix}-{gone}-DELETE"] = "on"
    extra = len(targets.forms)
    data[f"{targets.prefix}-TOTAL_FORMS"] = str(extra + 1)
    data.update(
        {
            f"{targets.prefix}-{extra}-activity": str(activity.pk),
            f"{targets.prefix}-{extra}-position": "41",
            f"{targets.prefix}-{extra}-text": "5 vizita",
            f"{targets.prefix}-{extra}-years": "[]",
        }
    )
    assert client.post(change_url(activity), data).status_code == 302
    new_target = Target.objects.get(activity=activity, position=41)
    assert not Target.objects.filter(pk=old_target.pk).exists()
    assert AuditEvent.objects.get(action="create", object_type="plan.target").object_id == str(
        new_target.pk
    )
    removed = AuditEvent.objects.get(action="delete", object_type="plan.target")
    assert removed.object_id == str(old_target.pk) and removed.changes["text"] == ["4 vizita", None]

    added = client.post(
        reverse("admin:plan_budgetline_add"),
        {"activity": str(activity.pk), "position": "99", "amount": "700", "source": "municipality"},
    )
    assert added.status_code == 302
    new = BudgetLine.objects.get(activity=activity, position=99)
    created = AuditEvent.objects.get(action="create", object_id=str(new.pk))
    assert created.summary.startswith("admin:") and created.changes["amount"] == [None, "700"]

    doomed = [line.pk, new.pk]
    client.post(
        changelist_url(BudgetLine),
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in doomed],
            "post": "yes",
        },
    )
    assert not BudgetLine.objects.filter(pk__in=doomed).exists()
    deleted = AuditEvent.objects.filter(action="delete", object_type="plan.budgetline")
    assert sorted(int(e.object_id) for e in deleted) == sorted(doomed)
    assert all(e.summary.startswith("admin:") and e.user == arta for e in deleted)


# Who reaches which admin at all


def test_a_provider_cannot_edit_another_organisations_service(client, durres_plan):
    durres = durres_plan.municipality
    mine = Organisation.objects.create(
        municipality=durres, code="ime", name="Shoqata Ime", kind="non_public", funding="ngo_donor"
    )
    theirs = Organisation.objects.create(
        municipality=durres,
        code="tjeter",
        name="Shoqata Tjetër",
        kind="non_public",
        funding="ngo_donor",
    )
    service = Service.objects.create(
        municipality=durres,
        organisation=theirs,
        code="sherbimi-tjeter",
        name="Shërbimi i Tjetrit",
        type="day",
        funding="ngo_donor",
    )
    drita = get_user_model().objects.create_user("drita.ofruese", password=PASSWORD, is_staff=True)
    # Even given every directory permission, a provider manages no rows here.
    drita.user_permissions.set(Permission.objects.filter(content_type__app_label="directory"))
    Membership.objects.create(user=drita, municipality=durres, role="provider", organisation=mine)
    client.force_login(drita)

    # No managing role anywhere: the whole directory admin is closed to her, so the
    # answer is the same for every id and confirms nothing.
    assert client.get(change_url(service)).status_code == 403
    assert client.post(change_url(service), {"name": "Marrë nga Drita"}).status_code == 403
    service.refresh_from_db()
    assert service.name == "Shërbimi i Tjetrit"
    assert client.get(changelist_url(Service)).status_code == 403


def test_a_national_viewer_gets_no_write_access(client, tirana, durres_plan):
    viewer = staff("vera.kombetare", "national", durres_plan.municipality, group="director")
    client.force_login(viewer)
    assert client.get(changelist_url(Plan)).status_code == 403
    assert client.post(delete_url(durres_plan), {"post": "yes"}).status_code in (302, 403)
    assert Plan.objects.filter(pk=durres_plan.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/membership/",
        "/admin/accounts/apitoken/",
        "/admin/accounts/auditevent/",
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/directory/category/add/",
        "/admin/otp_totp/totpdevice/",
        "/admin/axes/accessattempt/",
    ],
)
def test_accounts_tokens_audit_and_users_are_superuser_only(client, besnik, url):
    # A planner somehow given every permission on them still does not reach them.
    besnik.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "auth", "directory", "otp_totp", "axes"]
        )
    )
    assert client.get(url).status_code == 403


def test_the_audit_log_is_read_only_even_for_a_superuser(client, besnik):
    root = get_user_model().objects.create_superuser("rrenja", password=PASSWORD)
    event = AuditEvent.objects.create(user=besnik, action="view", summary="a read")
    model_admin = admin.site._registry[AuditEvent]
    request = type("Request", (), {"user": root})()
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert not model_admin.has_add_permission(request)


def test_every_admin_class_is_scoped_or_superuser_only():
    """A new admin class without a scope, or with a path that misses, fails here."""
    national_lists = {Category}
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("socialplan."):
            continue
        if isinstance(model_admin, SuperuserOnlyAdmin):
            continue
        assert isinstance(model_admin, MunicipalityScopedAdmin), model
        classes = [model_admin] + [inline(model, admin.site) for inline in model_admin.inlines]
        for scoped in classes:
            if scoped is not model_admin:
                assert isinstance(scoped, MunicipalityScopedInline), type(scoped)
            path = scoped.municipality_path
            if path:
                assert get_fields_from_path(scoped.model, path)[-1].related_model is Municipality
            for field in scoped.model._meta.get_fields():
                if field.is_relation and field.concrete and not field.auto_created:
                    target = field.related_model
                    assert (
                        municipality_path(target) is not None
                        or target in national_lists
                        or target is get_user_model()
                    ), (scoped.model, field.name)


def test_a_superusers_account_edits_are_audited_without_secrets(client, besnik, verified_login):
    root = get_user_model().objects.create_superuser("rrenja", password=PASSWORD)
    verified_login(client, root)
    page = client.get(change_url(besnik))
    data = form_data(page)
    data["first_name"] = "Besnik"
    posted = client.post(change_url(besnik), data)
    assert posted.status_code == 302, posted.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="change", object_type="auth.user")
    assert event.user == root and event.summary.startswith("admin:")
    # (The form hands back times to the second: the microseconds show as changed.)
    assert event.changes["first_name"] == ["", "Besnik"] and "password" not in event.changes

    password = reverse("admin:auth_user_password_change", args=[besnik.pk])
    new = "nje-fjalekalim-i-ri-2026"
    response = client.post(password, {"password1": new, "password2": new})
    assert response.status_code == 302
    besnik.refresh_from_db()
    assert besnik.check_password(new)
    rows = AuditEvent.objects.filter(action="change", object_type="auth.user", user=root)
    assert rows.count() == 2
    assert all(besnik.password not in str(row.changes) for row in rows)

    # A TOTP device's key never reaches the audit trail, only that it changed.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from socialplan.accounts.admin_scope import changes

    device = TOTPDevice(user=besnik, name="telefoni")
    assert changes(device, {"key": "aa" * 20}, {"key": "bb" * 20}) == {
        "key": ["[hidden]", "[hidden]"]
    }


def test_revoking_tokens_in_the_admin_is_audited(client, besnik, verified_login):
    from socialplan.accounts.models import ApiToken

    root = get_user_model().objects.create_superuser("rrenja", password=PASSWORD)
    verified_login(client, root)
    token, _secret = ApiToken.issue(user=besnik, name="raporti")
    response = client.post(
        changelist_url(ApiToken), {"action": "revoke", "_selected_action": [str(token.pk)]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="change", object_type="accounts.apitoken")
    assert event.object_id == str(token.pk) and event.summary.startswith("admin:")
    assert event.changes["revoked_at"][0] is None
