"""Markup stored in any text field is shown as text on every page (issue 12, "stored HTML from reference data").

A product's brand name once went into a help text unescaped: with htmx on the page, a planted
`<div hx-post=... hx-trigger=load>` made a nurse's browser deactivate a patient. Here every free-text
field of every clinical and reference row, and the users' names, hold hostile markup, written with
update() as a careless import or a direct database write would leave it (no form validation). Then
every page each persona may open (the 200s of tests/test_permission_matrix.py, plus the admin pages
of every table and the HTML handed to WeasyPrint) must show it as text: no planted tag, no hx-
attribute or event handler from data, and no javascript: link.
"""

import copy
import json
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape

from patients.models import Patient
from patients.response import CycleResponse
from patients.templatetags.patients_tags import web_address
from planner.models import (
    BillingCode,
    Caution,
    DiluentVolume,
    DoseGuideline,
    FindingAcknowledgement,
    HandoutText,
    PolicySetting,
    Product,
    ResponsePolicy,
    VialPrice,
)
from planner.plans.forms import PreparationForm
from tests.planner.factories_reference import (
    DoseFactory,
    LimitFactory,
    MuscleFactory,
    PatternFactory,
    RuleFactory,
)
from tests.security_world import PERSONAS, build_world
from tests.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db

# What an attacker would store: htmx that acts on load, a redirect off-site, an attribute break-out
# with an event handler, and a harmless tag that is easy to spot. Longest first, packed into each field.
PAYLOADS = (
    "<meta http-equiv=refresh content=0;url=https://evil.example>",
    '<div hx-post="/x" hx-trigger="load">',
    '"><svg onload=alert(1)>',
    "<b data-x>",
)
URL_PAYLOAD = 'javascript:alert(1)//"><svg onload=alert(1)>'
# None of these may reach a page as markup; their escaped forms (&lt;div hx-post...) may.
UNESCAPED = ("<meta http-equiv", "<div hx-post", "<svg onload", "<b data-x")
PLANTED_APPS = ("patients", "planner")


def packed(max_length):
    """As many payloads as fit in ``max_length`` characters (None: no limit), longest first."""
    text = ""
    for payload in PAYLOADS:
        if max_length is None or len(text) + len(payload) <= max_length:
            text += payload
    return text


USER_FIELDS = ("username", "first_name", "last_name", "email")


def planted_fields(model):
    """The free-text fields of ``model``: every CharField, TextField and URLField without choices."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and (model is not get_user_model() or field.name in USER_FIELDS)
    ]


def planted_models():
    user_model = get_user_model()
    for model in apps.get_models():
        if model._meta.app_label in PLANTED_APPS and not model._meta.proxy:
            yield model  # the history tables too: the audit report and the admin's history pages read them
    yield user_model


def unique_fields(model):
    """Names of the fields that must differ between rows: unique alone or in a unique constraint."""
    names = {field.name for field in model._meta.concrete_fields if field.unique}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names.update(constraint.fields)
    for together in model._meta.unique_together:
        names.update(together)
    return names


def plant_markup():
    """Every free-text field of every row set to markup, as a direct database write would: a plain QuerySet,
    since the app's managers refuse update() (it would skip the history)."""
    for model in planted_models():
        fields = planted_fields(model)
        unique = unique_fields(model)
        rows = models.QuerySet(model)
        for number, pk in enumerate(rows.order_by("pk").values_list("pk", flat=True)):
            values = {}
            for field in fields:
                if isinstance(field, models.URLField):
                    values[field.name] = URL_PAYLOAD[: field.max_length]
                elif field.name in unique and number:
                    suffix = str(number)  # unique: each row's markup differs by a number after the tag
                    values[field.name] = packed(field.max_length - len(suffix)) + suffix
                else:
                    values[field.name] = packed(field.max_length)
            if values:
                rows.filter(pk=pk).update(**values)


def add_one_of_each_reference_row(world):
    """The security world has sources, a muscle and a product; add a row to every other reference table."""
    product, muscle, source = world.objects["product"], world.objects["muscle"], world.objects["source"]
    pattern = PatternFactory(sources=[source])
    shift = PatternFactory(code="LATERAL_SHIFT", name="Lateral shift", sources=[source])
    shift.components.create(component=pattern, side="ipsilateral")
    RuleFactory(pattern=pattern, muscle=muscle, sources=[source], note="rule note")
    DoseFactory(product=product, muscle=MuscleFactory(code="OTHER_MUSCLE", sources=[source]), sources=[source])
    LimitFactory(product=product, sources=[source], note="limit note")
    DiluentVolume.objects.create(product=product, vial_units=100, diluent_ml=2, note="diluent note")
    caution = Caution.objects.create(code="WORLD_CAUTION", muscle=muscle, pattern=pattern, text="caution text")
    caution.products.set([product])
    PolicySetting.objects.create(code=PolicySetting.Code.MAX_VOLUME_PER_SITE_ML, value=2, note="policy note")
    # Issue 14: the world already has a condition code; add a posture contradiction.
    from planner.models import PostureContradiction

    PostureContradiction.objects.create(first="LATERAL_SHIFT", second="LATEROCAPUT", relation="same", reason="why")
    signed = world.objects["signed"]
    FindingAcknowledgement.objects.create(
        session=signed,
        finding_key="key",
        finding_code="code",
        message="message",
        reason="reason",
        acknowledged_by=world.users["neurologist"],
        acknowledged_at=signed.signed_at,
    )
    # The end-of-cycle tables (issue 16): a drug code for the world's product, its vial's price, a
    # handout sentence and a non-response advice sentence, the response policy, and a cycle response.
    BillingCode.objects.create(
        code="WJ0001", kind="drug", description="world drug", product=product, billing_unit=5, note="code note"
    )
    BillingCode.objects.create(code="W64616", kind="procedure", description="world procedure")
    VialPrice.objects.create(product=product, vial_units=100, price=10, ndc="12345-6789-01", note="price note")
    HandoutText.objects.create(code="WORLD_INTRO", section="intro", product=product, text="handout text")
    HandoutText.objects.create(code="WORLD_ADVICE", section="non_response", text="advice text")
    ResponsePolicy.objects.create(code=ResponsePolicy.Code.NON_RESPONSE_CYCLES, value=2, note="policy note")
    CycleResponse.objects.create(visit=signed.visit, benefit_percent=50, reported_on=signed.visit.date, notes="n")
    assert DoseGuideline.objects.exists()


@pytest.fixture(scope="module")
def planted_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        add_one_of_each_reference_row(world)
        plant_markup()
        for value in world.objects.values():
            if isinstance(value, models.Model):
                value.refresh_from_db()  # a URL built from a planted code must find its row
        yield world
        transaction.set_rollback(True)


class MarkupFromData(HTMLParser):
    """Elements and attributes on a page that can only have come from the planted data."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("hx-") and (value == "/x" or value == "load"):
                self.found.append(f"<{tag} {name}={value!r}> (htmx attribute from data)")
            elif name.startswith("on") and "alert(" in value:
                self.found.append(f"<{tag} {name}={value!r}> (event handler from data)")
            elif name in ("href", "src", "action", "formaction") and re.sub(r"\s", "", value).lower().startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                self.found.append(f"<{tag} {name}={value!r}> (script address)")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.found.append(f"<{tag} {attrs}> (meta refresh)")


def markup_problems(text):
    """Every way the planted markup shows on a page as markup rather than text."""
    problems = [f"unescaped {literal!r}" for literal in UNESCAPED if literal in text]
    problems += [f"an href to javascript: {match!r}" for match in re.findall(r'href="\s*javascript:[^"]*"', text, re.I)]
    parser = MarkupFromData()
    parser.feed(text)
    return problems + parser.found


def admin_urls():
    """Changelist, change and history pages of every table the admin registers in the planted apps."""
    for model in admin.site._registry:
        if model._meta.app_label not in PLANTED_APPS and model is not get_user_model():
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]:
            for view in ("change", "history"):
                try:
                    yield reverse(f"{prefix}_{view}", args=[pk])
                except NoReverseMatch:
                    continue


def pages_for(world, persona):
    """(label, URL, extra request headers) for every page the persona may open."""
    index = PERSONAS.index(persona)
    for name, (obj, *expected) in MATRIX.items():
        if expected[2 * index] == 200:
            yield name, world.url(name, obj), {}
    if persona in ("nurse", "neurologist"):
        url = reverse("patients:patient_list")
        yield "patient search (htmx)", f"{url}?q=World", {"HTTP_HX_REQUEST": "true"}
    if persona == "reference_admin":
        for url in admin_urls():
            yield url, url, {}


class CapturedHTML:
    """Stands in for weasyprint.HTML: keeps the document a PDF view hands over, returns no real PDF."""

    documents = []

    def __init__(self, string="", **kwargs):
        self.documents.append(string)

    def write_pdf(self, *args, **kwargs):
        return b"%PDF-1.7 captured"


def fetch(client, url, headers):
    """The status and the markup a browser would read: an HTML or SVG page, or the HTML a PDF view gave
    WeasyPrint; "" for other files (CSV, JSON), where markup is inert text. The request's writes are rolled back."""
    cookies = copy.deepcopy(client.cookies)
    CapturedHTML.documents.clear()
    with transaction.atomic():
        response = client.get(url, **headers)
        transaction.set_rollback(True)
    client.cookies = cookies
    if CapturedHTML.documents:
        return response.status_code, "\n".join(CapturedHTML.documents)
    if not re.search(r"html|svg", response.get("Content-Type", "")):
        return response.status_code, ""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode("utf-8", "replace")


@pytest.mark.parametrize("persona", [persona for persona in PERSONAS if persona != "anonymous"])
def test_stored_html_from_reference_data_is_shown_as_text(planted_world, persona, monkeypatch):
    import weasyprint

    monkeypatch.setattr(weasyprint, "HTML", CapturedHTML)
    client = planted_world.client(persona)
    failures, opened = [], 0
    for label, url, headers in pages_for(planted_world, persona):
        status, text = fetch(client, url, headers)
        if status != 200:
            failures.append(f"{label} ({url}): status {status}")
            continue
        opened += 1
        failures += [f"{label} ({url}): {problem}" for problem in markup_problems(text)]
    assert opened, f"{persona} opened no page"
    assert not failures, f"{persona}:\n  " + "\n  ".join(failures)


def test_the_world_holds_markup_in_every_reference_and_clinical_table(planted_world):
    """The check above is only as good as the planting: every table with free text has a planted row
    (a history table only when the world wrote to its table: scales without text keep theirs empty)."""
    empty = []
    for model in planted_models():
        rows = models.QuerySet(model)
        if model.__name__.startswith("Historical") and not rows.exists():
            continue
        for field in planted_fields(model):
            planted = "javascript:" if isinstance(field, models.URLField) else "<"
            if not rows.filter(**{f"{field.name}__contains": planted}).exists():
                empty.append(f"{model._meta.label}.{field.name}")
    assert empty == []


def test_the_checker_finds_planted_markup():
    page = f'<p>{PAYLOADS[1]}</p><a href=" javascript:alert(1)">x</a><img src=x onerror="alert(2)">'
    problems = markup_problems(page)
    assert any("<div hx-post" in problem for problem in problems)
    assert any("script address" in problem for problem in problems)
    assert any("event handler" in problem for problem in problems)
    assert markup_problems("<p>&lt;div hx-post=&quot;/x&quot; hx-trigger=&quot;load&quot;&gt;</p>") == []


@pytest.mark.parametrize("name", ["patients:patient_deactivate", "patients:patient_reactivate"])
def test_stored_html_in_a_message_is_shown_as_text(planted_world, name):
    """The confirmation after an action names the patient: the message is escaped like the page."""
    client = planted_world.client("nurse")
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        # Saving checks the MRN's format, which the planted one fails: this test is about the name.
        models.QuerySet(Patient).filter(pk=planted_world.objects["patient"].pk).update(mrn="MSG0001")
        if name.endswith("reactivate"):
            client.post(planted_world.url("patients:patient_deactivate", "patient"))
        response = client.post(planted_world.url(name, "patient"), follow=True)
        transaction.set_rollback(True)
    client.cookies = cookies
    shown = [str(message) for message in response.context["messages"]]
    assert any("<meta http-equiv" in message for message in shown), "the message names the planted patient"
    assert markup_problems(response.content.decode()) == []


def test_stored_html_in_a_brand_name_is_escaped_in_the_preparation_help_text():
    product = Product(brand_name=PAYLOADS[1], vial_sizes=[100, 200], form=Product.Form.POWDER)
    help_text = PreparationForm(product=product).fields["vial_units"].help_text
    assert help_text == "&lt;div hx-post=&quot;/x&quot; hx-trigger=&quot;load&quot;&gt; comes in 100, 200 U vials."
    assert conditional_escape(help_text) == help_text  # marked safe only once escaped: crispy renders it as is


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("https://www.example.org/label.pdf", "https://www.example.org/label.pdf"),
        ("http://example.org", "http://example.org"),
        (" HTTPS://example.org ", "HTTPS://example.org"),
        ("javascript:alert(1)", ""),
        ("JavaScript:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("java\tscript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("vbscript:msgbox(1)", ""),
        ("//evil.example/", ""),
        ("/reference/sources/", ""),
        ("http://[unclosed", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_stored_html_from_reference_data_web_address_keeps_only_http_and_https(address, shown):
    assert web_address(address) == shown


def test_stored_html_from_reference_data_htmx_never_evaluates_runs_scripts_or_caches_pages(client_for):
    page = client_for("nurse").get(reverse("home")).content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page).group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert config["historyCacheSize"] == 0
