import time

# Renewing the session on every request costs a database write per page; once a minute keeps the
# idle time-out within a minute of exact while sparing almost all of those writes.
SESSION_RENEW_AFTER_SECONDS = 60


class IdleSessionRenewalMiddleware:
    """Slides the idle time-out forward on activity, writing the session at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            now = int(time.time())
            if now - session.get("_renewed_at", 0) >= SESSION_RENEW_AFTER_SECONDS:
                session["_renewed_at"] = now  # marks the session modified, so it is saved with a new expiry
        return response
