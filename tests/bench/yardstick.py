"""The benchmark's yardstick: the cheapest page there can be, behind the same middleware as every page.

Mounted at /bench/yardstick only by the bench's own URLconf (tests/bench/urls.py, through
tests/bench/settings.py, which `make bench` gives its gunicorn), so it never exists in a deployment
and production code never imports it. LoginRequiredMiddleware covers it like every other view: a signed-in
user of any role gets "ok", anyone else the login redirect. Its throughput is what the sessions,
authentication, CSRF, CSP, OTP, history and axes middleware cost on their own; each page's ratio to it
says how much the page itself adds.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def yardstick(request):
    return HttpResponse("ok", content_type="text/plain")
