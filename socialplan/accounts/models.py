"""Who may do what, where; and the append-only record of what was done."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialplan.territory.models import AdministrativeUnit, Municipality


class Membership(models.Model):
    """A role a user holds in a municipality, possibly scoped to a unit or an organisation.

    Roles are data: a user may hold several memberships (a provider's staff
    member in one organisation, a planner in another municipality).
    """

    class Role(models.TextChoices):
        DIRECTOR = "director", _("Director of social services")
        PLANNER = "planner", _("Planning and monitoring officer")
        NJVRN = "njvrn", _("NJVRN worker")
        UNIT_ADMIN = "unit_admin", _("Social administrator of a unit")
        CHILD_PROTECTION = "child_protection", _("Child protection worker (PMF)")
        DV_COORDINATOR = "dv_coordinator", _("Local coordinator against domestic violence")
        PROVIDER = "provider", _("Service provider staff")
        AUDITOR = "auditor", _("Auditor")
        NATIONAL = "national", _("National viewer (aggregates only)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="provider") | Q(organisation__isnull=False),
                name="membership_provider_has_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(role="unit_admin") | Q(unit__isnull=False),
                name="membership_unit_admin_has_unit",
            ),
        ]

    def __str__(self):
        scope = self.organisation or self.unit or self.municipality
        return f"{self.user} · {self.get_role_display()} · {scope}"


class AuditEvent(models.Model):
    """One thing a person did. Rows are only ever added (see save and delete)."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        LIST = "list", _("listed")
        SEARCH = "search", _("searched")
        CREATE = "create", _("created")
        CHANGE = "change", _("changed")
        DELETE = "delete", _("deleted")
        EXPORT = "export", _("exported")
        IMPORT = "import", _("imported")
        REFER = "refer", _("referred")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGIN = "login", _("logged in (password)")
        LOGIN_2FA = "login_2fa", _("logged in (two-factor code)")
        LOGOUT = "logout", _("logged out")
        ENROL = "enrol", _("set up an authenticator app")
        ENROL_CODE = "enrol_code", _("issued an enrolment code")
        TOKEN_ISSUE = "token_issue", _("issued an API token")
        TOKEN_REVOKE = "token_revoke", _("revoked an API token")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=60, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # For changes: {"field": [old, new]}. Never a search term or personal data.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        target = f"{self.object_type} {self.object_id}".strip()
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditSubject(models.Model):
    """A person an audit event touched: "who saw this person" is one indexed lookup.

    One row per person shown by a page, a list or an export; append-only like
    the event itself. The person is an id, not a key, so the log outlives a
    merge or an erasure of the record it names.
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="subjects")
    person_id = models.BigIntegerField(_("person id"), db_index=True)

    class Meta:
        verbose_name = _("person in an audit event")
        verbose_name_plural = _("people in audit events")

    def __str__(self):
        return f"{self.event_id}: {self.person_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(
            revoked_at__isnull=True, user__is_active=True, expires_at__gt=timezone.now()
        )


def token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A bearer token for the JSON API, acting as its user under the same access rules.

    Only the SHA-256 of the secret is kept: the secret is shown once, when the
    token is made (the "API tokens" page, or `manage.py create_api_token`), and
    can never be read back. A token expires (settings.API_TOKEN_DAYS) and is
    revoked when its user's password changes, the account is deactivated or
    the last authenticator app is removed (see signals.py).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What or who uses it."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The secret's first characters, so a person can tell their tokens apart.
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        """A new token and its secret; the caller shows the secret once and forgets it.

        Callers decide who may have one: the tokens page asks for a session
        that passed two-factor, create_api_token refuses personal-data roles.
        """
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=cls.hash(secret),
            prefix=secret[:8],
            expires_at=timezone.now() + token_lifetime(),
        )
        return token, secret

    @classmethod
    def find(cls, secret: str) -> "ApiToken | None":
        """The active token with this secret, or None (unknown, revoked, expired, user inactive)."""
        return cls.objects.active().select_related("user").filter(key_hash=cls.hash(secret)).first()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def revoke(self) -> bool:
        """Revoke once; True if this call revoked it (so the caller audits it)."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        return True


class EnrolmentCode(models.Model):
    """A one-time code an administrator gives a user to set up an authenticator app.

    Without it, whoever holds only the password could enrol their own device
    for an account that has none yet. One code per user (a new one replaces
    the old); only a password-style hash is kept; it expires, is used once,
    and is burnt after a few wrong tries.
    """

    MAX_FAILURES = 5

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_code"
    )
    code_hash = models.CharField(max_length=200, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    failures = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def usable(self) -> bool:
        return (
            self.used_at is None
            and self.failures < self.MAX_FAILURES
            and self.expires_at > timezone.now()
        )
