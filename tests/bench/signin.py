"""Signing in through the real login form over HTTP, for `make bench` and `make cluster-check`."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def signed_in_cookies(base, username, password):
    """The cookie jar of a session signed in at ``base`` (CSRF token and all); django-axes sees a normal
    sign-in. Exits with the reason when the form does not sign the user in."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    login = urllib.request.Request(f"{base}/accounts/login/", data=data.encode(), headers={"Referer": f"{base}/"})
    try:
        opener.open(login, timeout=30)
        raise SystemExit(f"Signing in as {username} at {base} did not redirect: wrong password or a locked account?")
    except urllib.error.HTTPError as response:
        if response.code != 302 or "/accounts/login/" in (response.headers.get("Location") or ""):
            raise SystemExit(f"Signing in as {username} at {base} failed (HTTP {response.code}).") from None
    return jar
