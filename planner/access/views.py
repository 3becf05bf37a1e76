"""The pages outside any one job: the home page by role, the session keep-alive and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from planner.access.backends import roles_of
from planner.access.roles import ALL_ROLES


@require_GET
def home(request):
    roles = [role for role in roles_of(request.user) if role in ALL_ROLES]
    if not roles and not request.user.is_superuser:
        # A valid account that nobody has given a role yet: say so, plainly.
        return render(request, "planner/no_role.html")
    return render(request, "planner/home.html", {"roles": roles})


@never_cache
@login_not_required
@require_GET
def healthz(request):
    """Liveness for load balancers and the compose healthcheck: does the database answer?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_POST
def keep_alive(request):
    """Renews the idle session (every request does); the page calls it from the time-out warning."""
    return JsonResponse({"status": "ok", "expires_in_seconds": request.session.get_expiry_age()})
