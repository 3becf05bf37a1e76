import time

from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

# Renewing the session on every request costs a database write per page; once a minute keeps the
# idle time-out within a minute of exact while sparing almost all of those writes.
SESSION_RENEW_AFTER_SECONDS = 60

# Seconds a browser or script is told to wait before retrying after the database was busy.
DATABASE_BUSY_RETRY_AFTER_SECONDS = 5


def _signed_in(request):
    # A request refused early (a Host outside ALLOWED_HOSTS) never reaches AuthenticationMiddleware.
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class IdleSessionRenewalMiddleware:
    """Slides the idle time-out forward on activity, writing the session at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and _signed_in(request):
            now = int(time.time())
            if now - session.get("_renewed_at", 0) >= SESSION_RENEW_AFTER_SECONDS:
                session["_renewed_at"] = now  # marks the session modified, so it is saved with a new expiry
        return response


class NoStoreForSignedInUsersMiddleware:
    """Tells browsers and proxies to keep no copy of any page or file sent to a signed-in user.

    Charts, records, PDFs, FHIR and CSV exports and the authenticator secret would otherwise stay in
    the disk cache of a shared clinic computer after sign-out. Static files never get here: WhiteNoise
    answers them earlier, and they keep their long cache lifetime.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _signed_in(request):
            add_never_cache_headers(response)
        return response


def is_database_locked(error):
    return isinstance(error, OperationalError) and "database is locked" in str(error)


class DatabaseBusyMiddleware:
    """Answers SQLite's "database is locked" with 503 and a page saying nothing was saved, instead of a 500.

    Only SQLite (local runs) raises it: write transactions start IMMEDIATE and wait SQLITE_TIMEOUT_SECONDS
    for the lock (see settings.DATABASES), so this is what a user sees when even that wait ran out.
    The view's transaction was rolled back, so nothing was saved.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_locked(exception):
            return None
        # Rendered without the request, like the 500 page: the navigation would query the busy database.
        response = HttpResponse(render_to_string("database_busy.html"), status=503)
        response["Retry-After"] = str(DATABASE_BUSY_RETRY_AFTER_SECONDS)
        return response
