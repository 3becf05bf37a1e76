from django.conf import settings


def session_timeout(request):
    """The idle time-out, so the page can warn before the session ends."""
    return {"session_idle_timeout_seconds": settings.SESSION_COOKIE_AGE}
