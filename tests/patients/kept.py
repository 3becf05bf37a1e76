"""Helpers for the pages kept rendered in the cache (the chart, the visit record): pages compared without
their per-response tokens, and the same page built fresh or kept for someone else."""

import re

from django.contrib.auth.models import Permission
from django.core.cache import cache

from tests.factories import make_user


def unmasked(html):
    """The page without its CSRF tokens and script nonces, which are new on every response."""
    return re.sub(r'(csrf-token="|name="csrfmiddlewaretoken" value="|nonce=")[^"]+"', r'\1"', html)


def sign_in_with_only(client, codename, username):
    """``client`` signed in as a user holding one permission of the patients app and no role."""
    reader = make_user(None, username=username)
    reader.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="patients"))
    client.force_login(reader)
    return client


def fresh_and_kept_for_another(open_page, sign_in, first, second):
    """Each persona's page built with an empty cache; then the second persona's page after the first's was
    kept. A test checks the last equals the second's fresh one: nobody is shown a page kept for another."""
    fresh = {}
    for persona in (first, second):
        cache.clear()
        fresh[persona] = unmasked(open_page(sign_in[persona]()))
    cache.clear()
    open_page(sign_in[first]())
    return fresh, unmasked(open_page(sign_in[second]()))
