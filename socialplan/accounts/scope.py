"""Who is acting, and what they may reach: made once per request.

`Actor` is the person behind a change (user and address), what actions and
the audit log need, without the whole request. `Scope` adds the user's
memberships, read once, so access checks in the access modules
(registry/access.py, cases/access.py, ...) never loop over the database.
"""

from dataclasses import dataclass, field

from .access import memberships
from .models import Membership

Role = Membership.Role


@dataclass(frozen=True)
class Actor:
    user: object
    ip: str | None = None

    @classmethod
    def of(cls, request) -> "Actor":
        # Behind a proxy the deployment sets REMOTE_ADDR (gunicorn
        # --forwarded-allow-ips); a client-sent header is never trusted here.
        return cls(user=request.user, ip=request.META.get("REMOTE_ADDR"))


@dataclass(frozen=True)
class Scope:
    actor: Actor
    roles: tuple = field(default=())  # (role, municipality_id, unit_id, organisation_id)

    @property
    def user(self):
        return self.actor.user

    @property
    def is_superuser(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    @classmethod
    def of(cls, request) -> "Scope":
        """The request's scope, built once (again only if request.user changed, as an
        API token or the 2FA middleware may replace it)."""
        cached = getattr(request, "_scope", None)
        if cached is not None and cached.user is request.user:
            return cached
        scope = cls.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))
        request._scope = scope
        return scope

    @classmethod
    def for_user(cls, user, *, ip=None) -> "Scope":
        rows = tuple(
            (m.role, m.municipality_id, m.unit_id, m.organisation_id) for m in memberships(user)
        )
        return cls(actor=Actor(user=user, ip=ip), roles=rows)

    def roles_in(self, municipality_id) -> set[str]:
        return {role for role, mid, _u, _o in self.roles if mid == municipality_id}

    def municipalities_where(self, roles) -> set[int]:
        return {mid for role, mid, _u, _o in self.roles if role in roles}

    def units_where(self, roles) -> set[int]:
        return {unit for role, _m, unit, _o in self.roles if role in roles and unit}

    def organisations(self) -> set[int]:
        """The organisations whose provider staff this user is."""
        return {org for role, _m, _u, org in self.roles if role == Role.PROVIDER and org}
