"""Bad input never breaks a form: Hypothesis posts arbitrary values to every form, as a user who may use it.

Each target page is opened once to learn its form's field names and the values it offers (the
choices of each select, the current values); Hypothesis then posts mixtures of those with hostile
values: very long strings, huge, negative and not-a-number numbers, impossible dates, unicode and
emoji, HTML and script, and a few fields the form does not have. Every answer must be below 500,
and no page (the form shown again with its errors, or the page a successful save leads to) may carry
a posted script or tag unescaped.

The inputs are derandomised (the same on every run, so a failure always reproduces) and each post
runs in a transaction that is rolled back. FUZZ_EXAMPLES=500 pytest tests/test_fuzz_forms.py digs
deeper.
"""

import copy
import os
import time
from datetime import date
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.access import roles
from planner.reference.admin import ReferenceAdmin
from tests.factories import make_user
from tests.security_world import world  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))

# Markup that must never come back unescaped. The test looks for each exact string in the pages.
MARKUP = (
    "<script>alert(1)</script>",
    "Robert'); <script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
)
HOSTILE = (
    *MARKUP,
    "javascript:alert(1)",
    "' OR 1=1 --",
    "%s%s%n {0} {{ 7*7 }}",
    "../../etc/passwd",
    "9" * 40,
    "-9" + "9" * 30,
    "-1",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "-inf",
    "0x1F",
    "1,5",
    "١٢٣",  # Arabic-Indic digits
    "½",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "31/12/2026",
    "2026-13-01",
    "yesterday",
    "",
    " ",
    "\u200b",
    "\r\n\t",
    "💉🧪👩🏽‍⚕️",
    "Zoë Müller-Łukasz Ñúñez 김민준 محمد",
    "A" * 10_000,
    "<" * 2_000,
)
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=300)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    st.from_regex(r"\A-?\d{1,6}-\d{1,3}-\d{1,3}\Z"),
)
EXTRA_FIELDS = st.dictionaries(st.sampled_from(["id", "pk", "active", "is_superuser", "status", "x" * 200]), TEXT)

# Every form a clinical user fills in, the audit report's filters, the reference tables' add forms
# and the injection-plan pages: (URL name, world object, persona, method, page the form is on).
TARGETS = [
    ("patients:patient_register", None, "nurse", "post", None),
    ("patients:patient_edit", "patient", "nurse", "post", None),
    ("patients:patient_deactivate", "patient", "nurse", "post", None),
    ("patients:patient_reactivate", "patient", "nurse", "post", ("patients:patient_chart", "patient")),
    ("patients:visit_book", "patient", "nurse", "post", None),
    ("patients:visit_edit", "scheduled_visit", "nurse", "post", None),
    ("patients:visit_status", "visit", "nurse", "post", ("patients:visit_detail", "visit")),
    ("patients:posture_record", "visit", "nurse", "post", None),
    ("patients:twstrs_record", "visit", "nurse", "post", None),
    ("patients:tsui_record", "visit", "nurse", "post", None),
    ("patients:outcome_record", "visit", "nurse", "post", None),
    ("patients:adverse_event_add", "visit", "nurse", "post", None),
    ("patients:adverse_event_edit", "adverse_event", "nurse", "post", None),
    ("audit:report", None, "reference_admin", "get", None),
    ("plans:for_visit", "plan_visit", "neurologist", "post", None),
    ("plans:editor", "draft", "neurologist", "post", None),
    ("plans:prepare", "draft", "nurse", "post", None),
    ("plans:sign", "draft", "neurologist", "post", None),
    ("plans:amend", "signed", "neurologist", "post", None),
    *[
        (f"admin:{model._meta.app_label}_{model._meta.model_name}_add", None, "reference_admin", "post", None)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ReferenceAdmin)
    ],
]

POSTED = {"requests": 0, "accepted": 0, "values": 0, "seconds": 0.0}


class FormFields(HTMLParser):
    """The fields of the page's forms that submit to ``path`` by ``method``.

    ``offered``: every value the form offers a field (options, radio and checkbox values, what is
    filled in); ``current``: what the form would submit untouched (the record being edited).
    """

    def __init__(self, path, method):
        super().__init__()
        self.path, self.method = path, method
        self.offered, self.current = {}, {}
        self._in_form = False
        self._select = None  # name of the open select
        self._textarea = None  # name of the open textarea

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = (attrs.get("action") or self.path).split("?")[0]
            self._in_form = attrs.get("method", "get").lower() == self.method and action == self.path
            return
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "option" and self._select is not None and attrs.get("value") is not None:
            self.offered[self._select].append(attrs["value"])
            if "selected" in attrs:
                self.current[self._select] = attrs["value"]
        if not name or name == "csrfmiddlewaretoken":
            return
        offered = self.offered.setdefault(name, [])
        if tag in ("input", "button"):
            value = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
            offered.append(value)
            if attrs.get("type") not in ("radio", "checkbox", "submit") or "checked" in attrs:
                self.current.setdefault(name, value)
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and data.strip():
            self.offered[self._textarea].append(data.strip("\n"))
            self.current[self._textarea] = data.strip("\n")


_FORMS = {}


def form_of(world, target):  # noqa: F811
    """(url, {field: offered values}) for a target, read once from the page that shows its form."""
    name, obj, persona, method, page = target
    if name not in _FORMS:
        url = world.url(name, obj)
        page_url = world.url(*page) if page else url
        response = world.client(persona).get(page_url)
        assert response.status_code == 200, f"{page_url} as {persona}: {response.status_code}"
        parser = FormFields(url, method)
        parser.feed(response.content.decode())
        if name != "patients:patient_reactivate":  # offered only to an inactive patient; posted blind
            assert parser.offered or name == "patients:patient_deactivate", f"no form posting to {url} on {page_url}"
        _FORMS[name] = (url, parser)
    return _FORMS[name]


def values_for(form):
    """A strategy for one submission: the form as it stands, with some fields (possibly all) changed to
    another offered value, a hostile one or a random one, and perhaps fields the form does not have."""
    names = sorted(form.offered)

    def changed(field):
        offered = form.offered[field]
        return st.one_of(st.sampled_from(offered or [""]), st.sampled_from(HOSTILE), TEXT, NUMBERS, DATES)

    @st.composite
    def submission(draw):
        to_change = draw(st.sets(st.sampled_from(names), min_size=1)) if names else set()
        posted = draw(EXTRA_FIELDS)
        for field in names:
            if field in to_change:
                posted[field] = draw(changed(field), label=field)
            elif field in form.current:
                posted[field] = form.current[field]
        return posted

    return submission()


def assert_no_live_markup(response, posted):
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    body = response.content.decode().lower()  # upper-cased markup runs just as well
    for value in posted.values():
        for markup in MARKUP:
            if markup in value:
                assert markup.lower() not in body, f"{markup!r} came back unescaped"


@pytest.fixture(scope="module", autouse=True)
def report_the_count():
    yield
    print(
        f"\nfuzz: {POSTED['requests']} submissions ({POSTED['accepted']} accepted), {POSTED['values']} field values, "
        f"{len(TARGETS)} forms, {POSTED['seconds']:.1f} s in requests"
    )


@pytest.mark.parametrize("target", TARGETS, ids=[target[0] for target in TARGETS])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_input_breaks_a_form_or_comes_back_as_live_markup(world, target, data):  # noqa: F811
    url, form = form_of(world, target)
    posted = data.draw(values_for(form), label="submitted")
    client = world.client(target[2])
    cookies = copy.deepcopy(client.cookies)
    started = time.perf_counter()
    with transaction.atomic():
        response = getattr(client, target[3])(url, posted)
        assert response.status_code < 500
        assert_no_live_markup(response, posted)
        if response.status_code == 302:
            POSTED["accepted"] += 1
        if response.status_code == 302 and response["Location"].startswith("/"):
            shown = client.get(response["Location"])  # the page a successful save leads to
            assert shown.status_code < 500
            assert_no_live_markup(shown, posted)
        transaction.set_rollback(True)
    client.cookies = cookies
    POSTED["seconds"] += time.perf_counter() - started
    POSTED["requests"] += 1
    POSTED["values"] += len(posted)


def test_markup_saved_in_free_text_is_shown_as_text_on_every_page_that_shows_it(world):  # noqa: F811
    """Stored markup stays text: the chart, the visit, the list, the summary and the audit report."""
    nurse = world.client("nurse")
    markup = MARKUP[1]
    with transaction.atomic():
        response = nurse.post(
            world.url("patients:patient_register"),
            {
                "mrn": "XSS00001",
                "family_name": markup,
                "given_name": MARKUP[2],
                "date_of_birth": "1970-01-01",
                "sex": "female",
                "baseline_swallowing": "normal",
                "notes": MARKUP[4],
            },
        )
        assert response.status_code == 302
        chart = response["Location"]
        patient_pk = int(chart.rstrip("/").rsplit("/", 1)[1])
        # The audit entries about a patient are read with the Privacy officer role (patients.audit.selectors).
        privacy_officer = Client()
        privacy_officer.force_login(make_user(roles.PRIVACY_OFFICER, username="fuzz.privacy"))
        booked = nurse.post(f"{chart}visits/book/", {"date": date.today().isoformat(), "notes": MARKUP[3]})
        assert booked.status_code == 302
        pages = [
            (nurse, chart),
            (nurse, booked["Location"]),
            (nurse, world.url("patients:patient_list") + "?q=XSS00001"),
            (nurse, f"/clinic/patients/{patient_pk}/summary/"),
            (privacy_officer, world.url("audit:report") + "?mrn=XSS00001"),
        ]
        for client, url in pages:
            page = client.get(url)
            assert page.status_code == 200, url
            body = page.content.decode().lower()  # the list shows family names in capitals
            for text in (markup, MARKUP[2], MARKUP[3], MARKUP[4]):
                assert text.lower() not in body, f"{text!r} unescaped on {url}"
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, f"the name is not shown on {url}"
        transaction.set_rollback(True)


@pytest.mark.parametrize("bad_id", ["abc", "9" * 40, "-1", "1.5"])
def test_an_impossible_related_id_in_a_reference_form_is_a_field_error_not_a_crash(world, bad_id):  # noqa: F811
    """Found by the fuzzing: Django's autocomplete widget (and, on SQLite, the field) crashed on such ids."""
    url = world.url("admin:planner_doseguideline_add")
    with transaction.atomic():
        response = world.client("reference_admin").post(url, {"sources": [bad_id], "product": bad_id})
        transaction.set_rollback(True)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "sources" in errors and "product" in errors
