"""`make probe`: the app probed as an attacker and a careless user would, after the security issue.

Not part of `make test` or CI (a few minutes); its figures go into the security notes. Steps:
1. a fresh SQLite database (PROBE_DATABASE_URL to use another), migrated, with the reference data, the
   demo users and PROBE_PATIENTS demo patients; DEBUG off, as in production;
2. crawl: each persona follows every same-site link from the home page (GET only, at most
   PROBE_PAGES pages each), and every answer is recorded;
3. plant: every form a clinical or reference persona reached is posted PROBE_ROUNDS times with hostile
   values (markup that carries htmx attributes and a meta refresh, spreadsheet formulas, huge and
   malformed numbers, impossible dates, 20,000-character text, a missing or stale version, a negative
   formset count), with a marker in every text so that what is stored can be recognised later;
4. crawl again as every persona, and look in every page and file for the markers unescaped;
5. every URL a persona reached is opened by every other persona: anything a role table says it may
   not open must not answer 200;
6. count the rows of every clinical table before and after: nothing may have gone.

The result (stdout, and JSON at PROBE_OUT) counts 500s, authorization failures (an anonymous 200
outside the public pages, a no-role 200 on a clinical page), stored markup and lost rows, with a
sample of each. Exit status 1 when any count is not zero.
"""

import io
import json
import logging
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

ROOT = Path(__file__).resolve().parents[2]
ENV = os.environ
PATIENTS = int(ENV.get("PROBE_PATIENTS", "6"))
PAGES = int(ENV.get("PROBE_PAGES", "400"))
ROUNDS = int(ENV.get("PROBE_ROUNDS", "3"))
SEED = int(ENV.get("PROBE_SEED", "2"))
OUT = Path(ENV.get("PROBE_OUT") or ROOT / "bench-out" / "probe.json")

# Never followed: they end the persona's session or only re-serve static files.
SKIP = re.compile(r"^/(accounts/logout|static/|admin/logout|admin/jsi18n|healthz)")
PUBLIC = re.compile(r"^/(accounts/login/|healthz|static/)")
# Open to anyone signed in, with or without a role: the home page (which says to ask for a role) and the
# user's own authenticator pages.
ANY_SIGNED_IN = re.compile(r"^/(accounts/two-factor/.*)?$")
MARK = "zq{n}x"


def payloads(n):
    """Hostile values, each carrying its own marker so a stored one can be traced to its post."""
    mark = MARK.format(n=n)
    return [
        f'<div hx-post="/patients/" hx-trigger="load" id="{mark}">{mark}</div>',
        f'<meta http-equiv="refresh" content="0;url=https://{mark}.example">',
        f'"><img src=x onerror=alert("{mark}")>',
        f"</textarea><script>alert('{mark}')</script>",
        f'=HYPERLINK("https://{mark}.example","x")',
        f"@SUM(1+1)*{mark}",
        f"{mark} " + "A" * 20_000,
        f"{mark} ordinary text, Zoë Müller",
    ]


NUMBERS = ["1e309", "50, 50", "9" * 30, "-1", "0", "NaN", "1,5", "0.0000001", "12.5", "100"]
DATES = ["2026-02-30", "9999-12-31", "0001-01-01", "31/12/2026", "", "2026-12-05"]
UNESCAPED = re.compile(r"<(div|meta|img|script)\b[^>]*zq\d+x|\shx-[a-z]+=\"[^\"]*\"[^>]*zq\d+x")


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.forms, self._form, self._select, self._textarea = [], [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            field = {
                "tag": tag,
                "name": attrs["name"],
                "type": (attrs.get("type") or "").lower(),
                "value": attrs.get("value", ""),
                "options": [],
            }
            if tag == "input" and field["type"] in ("checkbox", "radio") and "checked" not in attrs:
                field["unchecked"] = True
            self._form["fields"].append(field)
            self._select = field if tag == "select" else None
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def setup_database():
    directory = tempfile.mkdtemp(prefix="probe-")
    ENV.setdefault("DATABASE_URL", ENV.get("PROBE_DATABASE_URL", f"sqlite:///{directory}/probe.sqlite3"))
    ENV.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    ENV.setdefault("SECRET_KEY", "probe-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789")
    ENV.setdefault("AUDIT_HMAC_KEY", "probe-only-audit-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    ENV.setdefault("DEBUG", "false")
    ENV.setdefault("ALLOWED_HOSTS", "testserver")
    ENV.setdefault("STATIC_MANIFEST", "false")
    ENV.setdefault("SECURE_SSL_REDIRECT", "false")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    quiet = {"verbosity": 0, "stdout": io.StringIO()}
    call_command("migrate", **quiet)
    call_command("loadreference", **quiet)
    call_command("seed_demo_users", allow_production=True, **quiet)
    call_command("seed_demo", patients=PATIENTS, seed=SEED, allow_production=True, **quiet)


def row_counts():
    from django.apps import apps

    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in ("patients", "planner") and not model._meta.proxy:
            counts[model._meta.label] = model._default_manager.count()
    return counts


class Probe:
    def __init__(self):
        from django.contrib.auth import get_user_model
        from django.test import Client

        users = {user.username: user for user in get_user_model().objects.all()}
        self.clients = {"anonymous": Client(raise_request_exception=False)}
        for name in ("nurse", "neurologist", "refadmin", "newstaff"):
            user = users.get(name)
            if user is not None:
                client = Client(raise_request_exception=False)
                client.force_login(user)
                self.clients[name] = client
        self.reached = {persona: set() for persona in self.clients}
        self.forms = []
        self.errors, self.markup, self.authz = [], [], []
        self.statuses = Counter()
        self.posts = 0

    def fetch(self, persona, url, method="get", data=None):
        client = self.clients[persona]
        response = client.post(url, data) if method == "post" else client.get(url)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.errors.append({"persona": persona, "method": method, "url": url, "status": response.status_code})
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        content_type = response.get("Content-Type", "")
        if "html" in content_type or "svg" in content_type:
            for match in UNESCAPED.finditer(text):
                self.markup.append({"persona": persona, "url": url, "found": match.group(0)[:160]})
        if "csv" in content_type:
            for line in text.splitlines():
                for cell in re.findall(r'(?:^|,)"?([=+@\-][^,"]*zq\d+x)', line):
                    self.markup.append({"persona": persona, "url": url, "found": f"CSV formula: {cell[:80]}"})
        return response, text, content_type

    def crawl(self, persona, collect_forms):
        queue, seen = ["/"], set()
        while queue and len(seen) < PAGES:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response, text, content_type = self.fetch(persona, url)
            if response.status_code == 200:
                self.reached[persona].add(url)
            if "html" not in content_type:
                continue
            parser = PageParser()
            parser.feed(text)
            for href in parser.links:
                target = urldefrag(href)[0]
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.match(parts.path):
                    continue
                if target not in seen:
                    queue.append(target)
            if collect_forms:
                for form in parser.forms:
                    if form["method"] == "post" and not SKIP.match(form["action"] or url):
                        self.forms.append((persona, form["action"] or url, form["fields"]))
        return seen

    def plant(self, rng):
        marker = 0
        unique = {
            (persona, action, tuple(field["name"] for field in fields)): (persona, action, fields)
            for persona, action, fields in self.forms
        }
        for persona, action, fields in unique.values():
            if action.startswith("/accounts/") or "two-factor" in action:
                continue
            for _ in range(ROUNDS):
                marker += 1
                texts = payloads(marker)
                data = {}
                for field in fields:
                    name, kind = field["name"], field["type"]
                    if name == "csrfmiddlewaretoken" or field.get("unchecked") and rng.random() < 0.5:
                        continue
                    if name.endswith("TOTAL_FORMS") and rng.random() < 0.3:
                        data[name] = rng.choice(["-1", "abc", "100000"])
                    elif name == "version" and rng.random() < 0.3:
                        data[name] = rng.choice(["", "0", "-5", "x"])
                    elif kind in ("hidden", "submit", "checkbox", "radio") or field["tag"] == "button":
                        data[name] = field["value"] or "on"
                    elif field["tag"] == "select":
                        data[name] = rng.choice(field["options"] + [texts[0]]) if field["options"] else texts[0]
                    elif kind == "number":
                        data[name] = rng.choice(NUMBERS)
                    elif kind == "date":
                        data[name] = rng.choice(DATES)
                    else:
                        data[name] = rng.choice(texts)
                self.fetch(persona, action, "post", data)
                self.posts += 1

    def cross_check(self):
        """Each persona opens what the others reached; the role table decides, this only flags the clear cases."""
        everything = set().union(*self.reached.values())
        for url in sorted(everything):
            for persona in ("anonymous", "newstaff"):
                if (
                    persona not in self.clients
                    or PUBLIC.match(url)
                    or persona == "newstaff"
                    and ANY_SIGNED_IN.match(url)
                ):
                    continue
                response, _, _ = self.fetch(persona, url)
                if response.status_code == 200:
                    self.authz.append({"persona": persona, "url": url})


def main():
    started = time.monotonic()
    # Refusals (403, 400) are what a probe provokes; their log lines would bury the summary. 500s are
    # counted from the answers, not the log.
    logging.disable(logging.ERROR)
    setup_database()
    before = row_counts()
    probe = Probe()
    rng = random.Random(SEED)
    for persona in probe.clients:
        probe.crawl(persona, collect_forms=persona in ("nurse", "neurologist", "refadmin"))
    probe.plant(rng)
    for persona in probe.clients:
        probe.crawl(persona, collect_forms=False)
    probe.cross_check()
    after = row_counts()
    lost = {label: (before[label], after.get(label, 0)) for label in before if after.get(label, 0) < before[label]}
    result = {
        "requests": sum(probe.statuses.values()),
        "posts": probe.posts,
        "forms": len({(action, tuple(f["name"] for f in fields)) for _, action, fields in probe.forms}),
        "pages_reached": {persona: len(urls) for persona, urls in probe.reached.items()},
        "statuses": dict(sorted(probe.statuses.items())),
        "server_errors": len(probe.errors),
        "authorization_failures": len(probe.authz),
        "stored_markup": len(probe.markup),
        "rows_lost": lost,
        "samples": {"server_errors": probe.errors[:10], "authorization": probe.authz[:10], "markup": probe.markup[:10]},
        "seconds": round(time.monotonic() - started, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps({key: value for key, value in result.items() if key != "samples"}, indent=2))
    for kind, rows in result["samples"].items():
        for row in rows:
            print(f"{kind}: {row}")
    print(f"JSON: {OUT}")
    failed = probe.errors or probe.authz or probe.markup or lost
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
