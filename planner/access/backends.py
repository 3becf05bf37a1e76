"""A user's permissions and roles, read from the database once per change of anyone's access, not on every page.

Django's ModelBackend reads a signed-in user's permissions with two joins on every request, and the
navigation's role badges took a third query. They change only when someone's access changes, and every such
change is a role-change entry on the audit trail, written in the same transaction
(patients.audit.receivers). So the newest of those entries is a version every app server reads from the
database, one index step, and each user's permissions and role names are kept in Django's cache under it:
a revoked role applies on the very next request, on every server, whatever the cache backend.
"""

from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from patients.audit.selectors import role_version


@dataclass(frozen=True)
class Access:
    permissions: frozenset
    roles: tuple


def _key(user):
    # The superuser flag is on the user row read on every request: a flag changed behind the app's back (an
    # UPDATE, no audit entry) still picks the right entry. An inactive user never gets this far.
    return f"access:{user.pk}:{role_version()}:{int(user.is_superuser)}"


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend, with each user's permissions kept in the cache under the role version."""

    def access(self, user):
        if not hasattr(user, "_access"):
            user._access = cache.get_or_set(_key(user), lambda: self._read_access(user))
        return user._access

    def _read_access(self, user):
        permissions = frozenset({*self.get_user_permissions(user), *self.get_group_permissions(user)})
        return Access(permissions, tuple(user.groups.order_by("name").values_list("name", flat=True)))

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = set(self.access(user_obj).permissions)
        return user_obj._perm_cache


def roles_of(user):
    """The names of the user's roles (Django groups), sorted; none for someone signed out or deactivated."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    return CachedPermissionsBackend().access(user).roles
