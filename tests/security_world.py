"""One of everything the app's URLs point at, and the URL patterns themselves, for the tests that
walk every URL (tests/test_permission_matrix.py, tests/test_no_hard_delete.py, tests/test_fuzz_forms.py).

The world is built once per test module inside a transaction that is rolled back afterwards (as
tests/planner/factories_reference.py does for the reference set); each test still runs in its own
savepoint, so a probing POST that changes something is undone before the next test.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.models import Visit
from planner.access import roles
from planner.models import InjectionSession
from planner.plans import services
from tests.factories import make_user
from tests.patients.factories import AdverseEventFactory, PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.factories_reference import MuscleFactory, ProductFactory, SourceFactory
from tests.planner.signing import prepare, sign_accepting_all

PERSONAS = ("anonymous", "no_role", "nurse", "neurologist", "reference_admin")
PERSONA_ROLES = {
    "no_role": None,
    "nurse": roles.NURSE,
    "neurologist": roles.NEUROLOGIST,
    "reference_admin": roles.REFERENCE_ADMIN,
}


@dataclass(frozen=True)
class Route:
    name: str | None  # "namespace:name", None for an unnamed pattern
    route: str  # the pattern as written, for messages
    pattern: URLPattern


def walk_urls(patterns=None, prefix="", namespace=""):
    """Every URL pattern the project serves, with its namespaced name."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from walk_urls(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name=name, route=prefix + str(entry.pattern), pattern=entry)


@dataclass
class World:
    users: dict
    objects: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)

    def url(self, name, obj=None):
        """The URL ``name`` built from the world object called ``obj``.

        A string object fills every keyword as is (a slug); a tuple gives positional arguments; a
        model instance gives its ``code`` to a ``code`` keyword and its pk to any other.
        """
        if obj is None:
            return reverse(name)
        value = self.objects[obj]
        if isinstance(value, tuple):
            return reverse(name, args=value)
        route = next(route for route in walk_urls() if route.name == name)
        keywords = list(route.pattern.pattern.converters) or list(route.pattern.pattern.regex.groupindex)
        if isinstance(value, str):
            return reverse(name, kwargs=dict.fromkeys(keywords, value))
        return reverse(name, kwargs={key: value.code if key == "code" else value.pk for key in keywords})

    def client(self, persona):
        """A client signed in as ``persona``; its session was made with the world, so it outlives each test."""
        return self.clients[persona]

    def sign_in_everyone(self):
        for persona in PERSONAS:
            client = self.clients[persona] = Client()
            if persona != "anonymous":
                client.force_login(self.users[persona])


def build_world():
    users = {persona: make_user(role, username=f"world.{persona}") for persona, role in PERSONA_ROLES.items()}
    users["reference_admin"].is_staff = True
    users["reference_admin"].save()
    neurologist = users["neurologist"]
    today = timezone.localdate()

    source = SourceFactory(code="W1")
    muscle = MuscleFactory(code="WORLD_MUSCLE", sources=[source])
    product = ProductFactory(code="WORLDTOX", sources=[source])
    patient = PatientFactory(mrn="WORLD0001", family_name="World", given_name="Wanda", toxin_naive=False)
    visit = VisitFactory(patient=patient, date=today, status=Visit.Status.IN_PROGRESS)
    PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=2)
    adverse_event = AdverseEventFactory(visit=visit)
    plan_visit = VisitFactory(patient=patient, date=today - timedelta(days=1), status=Visit.Status.IN_PROGRESS)

    def planned(on):
        session = services.session_start(visit=on, acting_user=neurologist)
        session, _ = services.session_save_plan(
            session=session,
            version=session.version,
            product=product,
            default_guidance=InjectionSession.Guidance.ANATOMICAL,
            rows=[services.RowInput(muscle, "right", Decimal(50), 2, InjectionSession.Guidance.ANATOMICAL)],
            acting_user=neurologist,
        )
        return session

    # Prepared, so its sign page offers the form (the gate shows no form while an error stands).
    draft = prepare(
        planned(VisitFactory(patient=patient, date=today - timedelta(days=2), status=Visit.Status.IN_PROGRESS)),
        neurologist,
    )
    signed = planned(VisitFactory(patient=patient, date=today - timedelta(days=90), status=Visit.Status.IN_PROGRESS))
    signed = sign_accepting_all(prepare(signed, neurologist), neurologist)
    scheduled = VisitFactory(patient=patient, date=today + timedelta(days=30), status=Visit.Status.SCHEDULED)

    # A condition and a dose given elsewhere on the patient (issue 14); the world loads no reference set.
    from planner.conditions import records as conditions
    from planner.models import ConditionCode

    condition_code = ConditionCode.objects.create(
        code="WORLD_CONDITION", name="World condition", kind="condition", level="warning", message="Check it"
    )
    condition = conditions.condition_record(patient=patient, code=condition_code, acting_user=users["nurse"])
    outside_dose = conditions.outside_dose_record(
        patient=patient,
        product=product,
        dose=Decimal(20),
        given_on=today - timedelta(days=10),
        indication="migraine",
        acting_user=users["nurse"],
    )

    world = World(users=users)
    world.objects.update(
        patient=patient,
        visit=visit,
        scheduled_visit=scheduled,
        plan_visit=plan_visit,
        adverse_event=adverse_event,
        condition=condition,
        outside_dose=outside_dose,
        draft=draft,
        signed=signed,
        muscle=muscle,
        muscle_version=(muscle.pk, muscle.history.latest("history_id").history_id),
        source=source,
        product=product,
        user=users["nurse"],
        group=Group.objects.get(name=roles.NURSE),
        access_attempt=AccessAttempt.objects.create(
            username="someone", ip_address="10.0.0.9", user_agent="test", failures_since_start=1
        ),
        # Someone else's device: a persona with one would be sent to the second-factor step first.
        totp_device=TOTPDevice.objects.create(user=make_user(None, username="world.totp"), name="phone"),
        app_label="planner",
        export_kind="sessions",
    )
    world.sign_in_everyone()
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
