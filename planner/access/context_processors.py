from django.conf import settings
from django.utils.functional import SimpleLazyObject

from planner.access.backends import roles_of


def session_timeout(request):
    """The idle time-out, so the page can warn before the session ends."""
    return {"session_idle_timeout_seconds": settings.SESSION_COOKIE_AGE}


def roles(request):
    """The signed-in user's role names, for the navigation's badges; read only by a page that shows them."""
    return {"user_roles": SimpleLazyObject(lambda: list(roles_of(getattr(request, "user", None))))}
