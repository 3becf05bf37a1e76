"""Who opened which patient's record: every response that shows a patient's data writes an audit entry in
the same request (ONC 170.315(d)(2), access). A page about one patient writes one entry naming them; a list
page (search results, the worklist) writes one entry naming the patients it showed.

The test walks the URL configuration itself: every pattern that takes an id and is built from one
patient's record in the permission matrix is opened by a role that may open it, so a new page cannot
slip in unlogged."""

import pytest
from django.db import transaction
from django.urls import reverse

from patients.audit.models import AuditEvent
from tests.security_world import walk_urls, world  # noqa: F401  (module fixture)
from tests.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db

# The world objects that belong to one patient (tests/security_world.py).
PATIENT_OBJECTS = {"patient", "visit", "plan_visit", "adverse_event", "draft", "signed", "scheduled_visit"}
NURSE_GET, NEUROLOGIST_GET = 5, 7  # positions in a MATRIX row


def patient_pages():
    """(URL name, persona who may GET it) for every URL pattern that takes the id of one patient's record."""
    pages = []
    for route in walk_urls():
        takes_an_id = route.pattern.pattern.converters or route.pattern.pattern.regex.groupindex
        row = MATRIX.get(route.name)
        if not takes_an_id or row is None or row[0] not in PATIENT_OBJECTS:
            continue
        if row[NURSE_GET] == 200:
            pages.append((route.name, "nurse"))
        elif row[NEUROLOGIST_GET] == 200:
            pages.append((route.name, "neurologist"))
        # Else it answers GET with no page (a POST-only action that redirects): it shows nothing.
    return pages


PATIENT_PAGES = patient_pages()


def new_entries(world, persona, url, **extra):  # noqa: F811
    """GET ``url`` as ``persona`` in a rolled-back transaction; the response and the audit entries it wrote."""
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        response = world.client(persona).get(url, REMOTE_ADDR="10.20.30.40", **extra)
        entries = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
        transaction.set_rollback(True)
    return response, entries


def test_the_walk_finds_every_kind_of_patient_page():
    names = {name for name, _ in PATIENT_PAGES}
    assert {
        "patients:patient_chart",
        "patients:patient_edit",
        "patients:patient_deactivate",
        "patients:visit_book",
        "patients:visit_edit",
        "patients:posture_record",
        "patients:twstrs_record",
        "patients:tsui_record",
        "patients:outcome_record",
        "patients:adverse_event_add",
        "patients:adverse_event_edit",
        "plans:for_visit",
        "plans:editor",
        "plans:prepare",
        "plans:sign",
        "plans:amend",
        "plans:record",
        "clinic:patient_summary",
    } <= names


@pytest.mark.parametrize(("name", "persona"), PATIENT_PAGES)
def test_access_log_every_page_about_a_patient_writes_who_opened_it(world, name, persona):  # noqa: F811
    url = world.url(name, MATRIX[name][0])

    response, entries = new_entries(world, persona, url)

    assert response.status_code == 200
    (entry,) = [entry for entry in entries if entry.action in (AuditEvent.Action.VIEW, AuditEvent.Action.EXPORT)]
    assert entry.actor == world.users[persona]
    assert entry.patient_id == world.objects["patient"].pk
    assert entry.path == url
    assert entry.ip_address == "10.20.30.40"
    assert entry.object_type and entry.object_id


@pytest.mark.parametrize(
    ("name", "query", "htmx"),
    [
        ("patients:patient_list", {}, False),
        ("patients:patient_list", {"q": "World"}, False),
        ("patients:patient_list", {"q": "World"}, True),
        ("clinic:worklist", {}, False),
    ],
)
def test_access_log_a_list_page_writes_one_entry_naming_the_patients_shown(world, name, query, htmx):  # noqa: F811
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = reverse(name) + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")

    response, entries = new_entries(world, "nurse", url, **extra)

    assert response.status_code == 200
    (entry,) = [entry for entry in entries if entry.action == AuditEvent.Action.VIEW]
    assert entry.actor == world.users["nurse"]
    assert world.objects["patient"].pk in entry.changes["patients"]
    assert entry.object_type == "patients.patient" and entry.path == url


def test_a_search_that_shows_nobody_writes_no_access_entry(world):  # noqa: F811
    response, entries = new_entries(world, "nurse", reverse("patients:patient_list") + "?q=NoSuchName")
    assert response.status_code == 200
    assert not [entry for entry in entries if entry.action == AuditEvent.Action.VIEW]


def test_a_refused_request_logs_no_access(world):  # noqa: F811
    """A reference admin may not open a chart: the 403 leaves no "viewed" entry in their name."""
    url = world.url("patients:patient_chart", "patient")
    with transaction.atomic():
        assert world.client("reference_admin").get(url).status_code == 403
        viewed = AuditEvent.objects.filter(actor=world.users["reference_admin"], action=AuditEvent.Action.VIEW)
        assert not viewed.exists()
        transaction.set_rollback(True)
