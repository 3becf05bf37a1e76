"""The injection plan: editor, live findings, product switch, signing, read-only records, amendments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.audit.models import AuditEvent
from planner.models import Injection, InjectionSession, Muscle, Product, SignedSessionError
from planner.plans import services
from tests.patients.factories import AdverseEventFactory, PatientFactory, PostureComponentFactory, VisitFactory
from tests.planner.signing import prepare, sign_accepting_all

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _reference(shipped_reference):
    return shipped_reference


@pytest.fixture
def visit():
    """Today's visit with right torticaput 3 and left laterocaput 2 recorded."""
    visit = VisitFactory(date=TODAY, status="in_progress", patient=PatientFactory(toxin_naive=True))
    component = PostureComponentFactory(assessment__visit=visit, code="TORTICAPUT", direction="right", severity=3)
    PostureComponentFactory(assessment=component.assessment, code="LATEROCAPUT", direction="left", severity=2)
    return visit


@pytest.fixture
def neuro_client(client, neurologist):
    client.force_login(neurologist)
    return client


def product(code):
    return Product.objects.get(code=code)


def muscle(code):
    return Muscle.objects.get(code=code)


def plan(visit, user, product_code="ONA", rows=(("SCM", "left", "40", 2), ("SPLENIUS_CAPITIS", "right", "60", 2))):
    session = services.session_start(visit=visit, acting_user=user)
    session, _ = services.session_save_plan(
        session=session,
        version=session.version,
        product=product(product_code),
        default_guidance="anatomical",
        rows=[
            services.RowInput(muscle(code), side, Decimal(dose), sites, "anatomical")
            for code, side, dose, sites in rows
        ],
        acting_user=user,
    )
    return session


def signed(visit, user, **kwargs):
    session = prepare(plan(visit, user, **kwargs), user)
    return sign_accepting_all(session, user)


def editor_post(session, **data):
    rows = data.pop("rows", [])
    payload = {
        "product": data.pop("product", session.product_id or ""),
        "default_guidance": "anatomical",
        "version": data.pop("version", session.version),
        "rows-TOTAL_FORMS": len(rows),
        "rows-INITIAL_FORMS": len(rows),
        "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 40,
    }
    for index, (code, side, dose, sites) in enumerate(rows):
        payload.update(
            {
                f"rows-{index}-muscle": muscle(code).pk,
                f"rows-{index}-side": side,
                f"rows-{index}-dose": dose,
                f"rows-{index}-sites": sites,
                f"rows-{index}-guidance": "anatomical",
            }
        )
    payload.update(data)
    return payload


# --- Starting and editing ---


def test_a_neurologist_starts_a_plan_and_a_second_start_reuses_it(neuro_client, visit):
    response = neuro_client.post(reverse("plans:for_visit", args=[visit.pk]), {"start": "empty"})
    session = InjectionSession.objects.get(visit=visit)
    assert response["Location"] == reverse("plans:editor", args=[session.pk])
    neuro_client.post(reverse("plans:for_visit", args=[visit.pk]), {"start": "empty"})
    assert InjectionSession.objects.filter(visit=visit).count() == 1


def test_a_nurse_cannot_start_or_change_a_plan(client, nurse, neurologist, visit):
    client.force_login(nurse)
    assert client.post(reverse("plans:for_visit", args=[visit.pk]), {"start": "empty"}).status_code == 403
    session = plan(visit, neurologist)
    assert client.get(reverse("plans:editor", args=[session.pk])).status_code == 200
    response = client.post(reverse("plans:editor", args=[session.pk]), editor_post(session, rows=[]))
    assert response.status_code == 403
    assert session.injections.count() == 2


def test_the_editor_explains_suggestions_for_the_recorded_posture(neuro_client, neurologist, visit):
    session = plan(visit, neurologist, rows=())
    page = neuro_client.get(reverse("plans:editor", args=[session.pk])).content.decode()
    assert "left sternocleidomastoid: contralateral, primary, for right torticaput, severity 3" in page
    assert "left sternocleidomastoid: ipsilateral, primary, for left laterocaput, severity 2" in page
    assert "side unresolved" in page  # trapezius in torticaput: sources conflict
    assert "25–100 U Botox" in page  # the SCM range in the chosen product's units


def test_adding_a_suggested_muscle_saves_it_without_a_dose(neuro_client, neurologist, visit):
    session = plan(visit, neurologist, rows=())
    response = neuro_client.post(
        reverse("plans:editor", args=[session.pk]), editor_post(session, action="add:SCM:left")
    )
    assert response.status_code == 302
    row = Injection.objects.get(session=session)
    assert (row.muscle.code, row.side, row.dose) == ("SCM", "left", None)


def test_adding_all_recommended_muscles_adds_only_preselected_candidates(neuro_client, neurologist, visit):
    session = plan(visit, neurologist, rows=())
    neuro_client.post(reverse("plans:editor", args=[session.pk]), editor_post(session, action="add_recommended"))
    added = {(row.muscle.code, row.side) for row in session.injections.all()}
    # Right torticaput 3 + left laterocaput 2: the verified or partly verified primary rules.
    assert {("SCM", "left"), ("SPLENIUS_CAPITIS", "right"), ("SPLENIUS_CAPITIS", "left")} <= added
    assert not any(code == "TRAPEZIUS_UPPER" for code, _ in added)  # conflicting side: never preselected
    assert all(row.dose is None for row in session.injections.all())


def test_adding_any_other_muscle_by_choice(neuro_client, neurologist, visit):
    session = plan(visit, neurologist, rows=())
    neuro_client.post(
        reverse("plans:editor", args=[session.pk]),
        editor_post(session, action="add_other", add_muscle=muscle("LEVATOR_SCAPULAE").pk, add_side="right"),
    )
    assert session.injections.get().muscle.code == "LEVATOR_SCAPULAE"


def test_saving_rows_and_removing_one(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)
    data = editor_post(session, action="save", rows=[("SCM", "left", "50", 2), ("SPLENIUS_CAPITIS", "right", "60", 2)])
    data["rows-1-remove"] = "on"
    assert neuro_client.post(reverse("plans:editor", args=[session.pk]), data).status_code == 302
    assert [(r.muscle.code, r.dose) for r in session.injections.all()] == [("SCM", Decimal("50.00"))]


def test_a_bad_dose_gets_a_message_at_the_field_and_saves_nothing(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)
    response = neuro_client.post(
        reverse("plans:editor", args=[session.pk]), editor_post(session, action="save", rows=[("SCM", "left", "-5", 2)])
    )
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0.01." in response.content.decode()
    assert session.injections.count() == 2


def test_switching_product_carries_no_dose_numbers(neuro_client, neurologist, visit):
    session = plan(visit, neurologist, product_code="ONA")
    response = neuro_client.post(
        reverse("plans:editor", args=[session.pk]),
        editor_post(session, product=product("ABO").pk, action="save", rows=[("SCM", "left", "40", 2)]),
        follow=True,
    )
    session.refresh_from_db()
    assert session.product.code == "ABO"
    assert [row.dose for row in session.injections.all()] == [None]
    assert "every dose was cleared" in response.content.decode()


def test_live_check_returns_findings_and_saves_nothing(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)
    response = neuro_client.post(
        reverse("plans:editor", args=[session.pk]),
        editor_post(session, action="check", rows=[("SCM", "left", "150", 1)]),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the partial only
    assert "150 U Botox for left sternocleidomastoid is above 25–100 U Botox, the Botox label&#x27;s range" in html
    assert "150 U Botox" in html and "Session" in html
    session.refresh_from_db()
    assert session.version == 2 and session.injections.get(muscle__code="SCM").dose == Decimal(40)


def test_a_stale_save_is_refused_and_nothing_is_overwritten(client, neurologist, visit):
    session = plan(visit, neurologist)
    opened_version = session.version
    # Someone else saves first.
    services.session_save_plan(
        session=session,
        version=opened_version,
        product=product("ONA"),
        default_guidance="anatomical",
        rows=[services.RowInput(muscle("SCM"), "left", Decimal(30), 1, "anatomical")],
        acting_user=neurologist,
    )
    client.force_login(neurologist)
    response = client.post(
        reverse("plans:editor", args=[session.pk]),
        editor_post(session, version=opened_version, action="save", rows=[("SCM", "left", "90", 1)]),
    )
    assert response.status_code == 409
    assert "Someone else saved this plan after you opened it" in response.content.decode()
    assert session.injections.get().dose == Decimal(30)


def test_the_editor_query_count_does_not_grow_with_past_sessions(neuro_client, neurologist):
    patient = PatientFactory()

    def new_visit(days_ago):
        visit = VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=days_ago), status="in_progress")
        PostureComponentFactory(assessment__visit=visit)
        return visit

    signed(new_visit(700), neurologist)
    session = plan(new_visit(0), neurologist)
    url = reverse("plans:editor", args=[session.pk])
    neuro_client.get(url)  # loads the reference inputs into the per-process cache
    with CaptureQueriesContext(connection) as one_past:
        assert neuro_client.get(url).status_code == 200
    for weeks in range(12, 12 * 12, 12):
        signed(new_visit(7 * weeks), neurologist)
    with CaptureQueriesContext(connection) as many_past:
        assert neuro_client.get(url).status_code == 200
    assert len(many_past) <= len(one_past)


def form_fields(html):
    """What the browser would post from the editor's form as rendered: inputs and selected options."""
    import re

    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag and 'type="submit"' not in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    for name, options in re.findall(r'<select name="([^"]*)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        fields[name] = selected.group(1) if selected else ""
    return fields


def test_the_editor_posts_back_what_it_shows(neuro_client, neurologist, visit):
    """The rows and the formset's management inputs are written out by hand: a save of the page as shown
    keeps every row as it was."""
    session = plan(visit, neurologist)
    url = reverse("plans:editor", args=[session.pk])
    page = neuro_client.get(url).content.decode()
    data = form_fields(page)
    assert data["rows-TOTAL_FORMS"] == data["rows-INITIAL_FORMS"] == "2"
    assert (data["rows-0-dose"], data["rows-0-sites"], data["rows-0-guidance"]) == ("40.00", "2", "anatomical")
    assert 'aria-labelledby="col-dose row-0-name"' in page and ">\n    Left sternocleidomastoid" in page
    data["rows-1-dose"] = "55"
    assert neuro_client.post(url, {**data, "action": "save"}).status_code == 302
    assert [(r.muscle.code, r.side, r.dose, r.sites) for r in session.injections.all()] == [
        ("SCM", "left", Decimal("40.00"), 2),
        ("SPLENIUS_CAPITIS", "right", Decimal("55.00"), 2),
    ]


def test_a_row_naming_an_unknown_or_retired_muscle_is_refused_and_nothing_is_saved(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)
    retired = muscle("LONGUS_COLLI")
    retired.is_active = False
    retired._history_user = neurologist
    retired.save()
    for bad in (retired.pk, 999999, "scm"):
        data = editor_post(session, action="save", rows=[("SCM", "left", "40", 2)])
        data["rows-0-muscle"] = bad
        response = neuro_client.post(reverse("plans:editor", args=[session.pk]), data)
        assert response.status_code == 400, bad
        assert "This muscle is not in the list of muscles in use." in response.content.decode()
    assert session.injections.count() == 2


def test_a_row_whose_muscle_was_retired_can_be_removed_and_the_plan_saved(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)  # left SCM and right splenius capitis
    retired = muscle("SPLENIUS_CAPITIS")
    retired.is_active = False
    retired._history_user = neurologist
    retired.save()
    url = reverse("plans:editor", args=[session.pk])
    data = editor_post(session, action="save", rows=[("SCM", "left", "40", 2), ("SPLENIUS_CAPITIS", "right", "50", 2)])
    response = neuro_client.post(url, data)
    assert response.status_code == 400  # kept, it is refused with its reason
    assert "This muscle is not in the list of muscles in use." in response.content.decode()
    data["rows-1-remove"] = "on"
    assert neuro_client.post(url, data).status_code == 302
    assert [(row.muscle.code, row.side) for row in session.injections.all()] == [("SCM", "left")]


def test_the_live_check_takes_the_same_queries_for_1_or_12_rows(neuro_client, neurologist, visit):
    earlier = VisitFactory(patient=visit.patient, date=TODAY - dt.timedelta(weeks=12), status="in_progress")
    signed(earlier, neurologist)
    session = plan(visit, neurologist)
    url = reverse("plans:editor", args=[session.pk])
    codes = [
        "SCM",
        "SPLENIUS_CAPITIS",
        "TRAPEZIUS_UPPER",
        "LEVATOR_SCAPULAE",
        "SEMISPINALIS_CAPITIS",
        "SCALENUS_MEDIUS",
    ]
    twelve = [(code, side, "10", 1) for code in codes for side in ("left", "right")]
    counts = []
    for rows in (twelve[:1], twelve):
        data = editor_post(session, action="check", rows=rows)
        neuro_client.post(url, data, HTTP_HX_REQUEST="true")  # warms the reference cache
        with CaptureQueriesContext(connection) as captured:
            assert neuro_client.post(url, data, HTTP_HX_REQUEST="true").status_code == 200
        counts.append(len(captured))
    # Middleware (4), the session with its rows (2), the product and every row's muscle (2), the reference
    # revision, the earlier sessions with their rows (2), this visit's posture, the patient's side effects,
    # conditions and medicines, and toxin given elsewhere; five for the access entry the check writes (it
    # shows the patient's plan and earlier doses).
    assert counts == [20, 20]


def test_the_editor_history_from_the_shared_sessions_is_the_history_loaded_on_its_own(neurologist):
    """The editor passes the sessions the safety checks loaded; the cycles must be the same as when
    last_sessions_with_events loads them itself, with what followed each."""
    from planner.plans.history import last_sessions_with_events
    from planner.plans.selectors import prior_sessions

    patient = PatientFactory()
    for weeks in (60, 48, 36, 24, 12):
        earlier = VisitFactory(patient=patient, date=TODAY - dt.timedelta(weeks=weeks), status="in_progress")
        signed(earlier, neurologist, rows=(("SCM", "left", str(weeks), 1),))
        AdverseEventFactory(visit=VisitFactory(patient=patient, date=earlier.date + dt.timedelta(weeks=4)))
    today = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    AdverseEventFactory(visit=today, kind="neck_weakness")
    session = plan(today, neurologist)

    def summary(cycles):
        return [(c.date, [d.text for d in c.doses], [e.text for e in c.events], c.follow_ups, c.twstrs) for c in cycles]

    alone = last_sessions_with_events(patient, before_date=TODAY, limit=3)
    shared = last_sessions_with_events(patient, before_date=TODAY, limit=3, sessions=prior_sessions(session))
    assert summary(shared) == summary(alone)
    assert [c.doses[0].dose for c in shared] == [Decimal(12), Decimal(24), Decimal(36)]
    assert [len(c.events) for c in shared] == [2, 1, 1]  # the newest: 4 weeks after, and today's report
    assert [c.follow_ups for c in shared] == [2, 2, 2]  # the visit 4 weeks after, and the next session's (or today's)


def test_the_editor_menus_and_row_names_follow_a_reference_change(neuro_client, neurologist, visit):
    """The menus come from the per-process reference cache, which a reference edit invalidates."""
    session = plan(visit, neurologist)
    url = reverse("plans:editor", args=[session.pk])
    assert "Left sternocleidomastoid" in neuro_client.get(url).content.decode()
    scm = muscle("SCM")
    scm.name = "Sternocleidomastoideus"
    scm._history_user = neurologist
    scm.save()
    levator = muscle("LEVATOR_SCAPULAE")
    levator.is_active = False
    levator._history_user = neurologist
    levator.save()
    page = neuro_client.get(url).content.decode()
    assert "Left sternocleidomastoideus" in page
    assert f'<option value="{scm.pk}">Sternocleidomastoideus</option>' in page
    assert f'<option value="{levator.pk}">' not in page


def test_the_suggestion_list_is_rendered_again_whenever_one_of_its_inputs_changes(
    client, neurologist, nurse, reference_admin, visit
):
    """The rendered list is kept in the cache under what it shows: each input changing must show."""
    from planner.models import DoseGuideline

    session = plan(visit, neurologist, rows=())
    url = reverse("plans:editor", args=[session.pk])
    client.force_login(neurologist)
    page = client.get(url).content.decode()
    assert 'value="add:SCM:left"' in page and "Label table: 25–90 U Botox" not in page
    assert client.get(url).content.decode().count('class="suggestion"') == page.count('class="suggestion"')

    # Who may add: a nurse sees the same suggestions without the buttons.
    client.force_login(nurse)
    nurse_page = client.get(url).content.decode()
    assert "left sternocleidomastoid: contralateral, primary" in nurse_page
    assert 'value="add:SCM:left"' not in nurse_page and "Add all recommended" not in nurse_page

    # What the plan holds: a suggested muscle added to the plan shows as in the plan.
    client.force_login(neurologist)
    client.post(url, editor_post(session, action="add:SCM:left"))
    assert 'value="add:SCM:left"' not in client.get(url).content.decode()

    # The posture: a component recorded at the visit brings its own suggestions.
    assert "for anterocollis" not in page
    PostureComponentFactory(assessment=visit.posture_assessment, code="ANTEROCOLLIS", direction="", severity=2)
    assert "for anterocollis" in client.get(url).content.decode()

    # The reference data: a changed guideline shows at once.
    guideline = DoseGuideline.objects.get(product=product("ONA"), muscle__code="SCM", kind="label_table")
    guideline.max_units = Decimal(90)
    guideline._history_user = reference_admin
    guideline.save()
    assert "Label table: 25–90 U Botox" in client.get(url).content.decode()


def test_reference_inputs_are_reused_until_a_reference_row_changes(reference_admin, django_assert_max_num_queries):
    from planner.models import DoseGuideline
    from planner.plans.selectors import reference_inputs

    botox = product("ONA")
    first = reference_inputs(botox)
    with django_assert_max_num_queries(1):  # only the revision check
        assert reference_inputs(botox) is first
    guideline = DoseGuideline.objects.get(product=botox, muscle__code="SCM", kind="label_table")
    guideline.max_units = Decimal(90)
    guideline._history_user = reference_admin
    guideline.save()
    fresh = reference_inputs(botox)
    assert fresh is not first
    scm = [r for r in fresh.dose_ranges if r.muscle_code == "SCM" and r.kind == "label_table"]
    assert scm[0].max_units == Decimal(90)


# --- Preparation and signing ---


def test_a_nurse_records_the_preparation(client, nurse, neurologist, visit):
    session = plan(visit, neurologist)
    client.force_login(nurse)
    response = client.post(
        reverse("plans:prepare", args=[session.pk]),
        {
            "lot_number": "C1234",
            "lot_expiry": "2027-01-31",
            "vial_units": "100",
            "vial_count": "1",
            "diluent_ml": "2",
            "reconstituted_at": f"{TODAY:%Y-%m-%d}T08:30",
            "version": session.version,
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.lot_number, session.prepared_by) == ("C1234", nurse)
    assert session.reconstituted_at is not None


def test_a_vial_size_the_product_does_not_have_is_refused_at_the_field(client, nurse, neurologist, visit):
    session = plan(visit, neurologist)
    client.force_login(nurse)
    response = client.post(
        reverse("plans:prepare", args=[session.pk]),
        {
            "lot_number": "C1234",
            "lot_expiry": "2027-01-31",
            "vial_units": "75",
            "vial_count": "1",
            "diluent_ml": "2",
            "version": session.version,
        },
    )
    assert "Botox vials hold 50, 100, 200 units." in response.content.decode()


def test_volume_per_site_uses_the_recorded_dilution(neuro_client, neurologist, visit):
    # Botox 100 U in 2 mL is 50 U/mL: 40 U over 2 sites is 0.40 mL a site.
    session = plan(visit, neurologist, rows=(("SCM", "left", "40", 2),))
    services.session_prepare(
        session=session,
        version=session.version,
        lot_number="C1",
        lot_expiry=TODAY + dt.timedelta(days=90),
        vial_units=Decimal(100),
        vial_count=1,
        diluent_ml=Decimal(2),
        acting_user=neurologist,
    )
    totals = neuro_client.get(reverse("plans:editor", args=[session.pk])).context["totals"]
    assert totals.strength == Decimal(50)
    assert totals.volumes[0].ml_per_site == Decimal("0.40")


def test_saline_added_to_a_ready_solution_dilutes_it(neuro_client, neurologist, visit):
    # Myobloc is 5000 U/mL as supplied; a 5000 U vial (1 mL) plus 1 mL of saline is 2500 U/mL.
    session = plan(visit, neurologist, product_code="RIMA", rows=(("SCM", "left", "2500", 2),))
    services.session_prepare(
        session=session,
        version=session.version,
        lot_number="B1",
        lot_expiry=TODAY + dt.timedelta(days=90),
        vial_units=Decimal(5000),
        vial_count=1,
        diluent_ml=Decimal(1),
        acting_user=neurologist,
    )
    totals = neuro_client.get(reverse("plans:editor", args=[session.pk])).context["totals"]
    assert totals.strength == Decimal(2500)
    assert totals.volumes[0].ml_per_site == Decimal("0.50")


def test_an_expired_lot_is_refused_at_the_preparation_and_naming_its_expiry(client, nurse, neurologist, visit):
    session = plan(visit, neurologist)
    expiry = TODAY - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match=f"expired on {expiry:%d %b %Y}"):
        services.session_prepare(
            session=session,
            version=session.version,
            lot_number="OLD1",
            lot_expiry=expiry,
            vial_units=Decimal(100),
            vial_count=1,
            diluent_ml=Decimal(2),
            acting_user=neurologist,
        )
    client.force_login(nurse)
    response = client.post(
        reverse("plans:prepare", args=[session.pk]),
        {
            "lot_number": "OLD1",
            "lot_expiry": expiry.isoformat(),
            "vial_units": "100",
            "vial_count": "1",
            "diluent_ml": "2",
            "reconstituted_at": f"{TODAY:%Y-%m-%d}T08:30",
            "version": session.version,
        },
        follow=True,
    )
    html = response.content.decode()
    assert f"expired on {expiry:%d %b %Y}" in html and "Preparation recorded" not in html
    session.refresh_from_db()
    assert session.lot_number == ""


def test_an_unprepared_session_cannot_be_signed(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)
    response = neuro_client.get(reverse("plans:sign", args=[session.pk]))
    assert "These must be fixed before signing" in response.content.decode()
    assert "PREPARATION_MISSING" in {finding.code for finding in response.context["errors"]}
    with pytest.raises(ValidationError, match="preparation is not recorded"):
        sign_accepting_all(session, neurologist)
    session.refresh_from_db()
    assert not session.is_signed


def sign_data(client, session, **extra):
    """The sign form filled in: a reason for every override, every warning acknowledged."""
    page = client.get(reverse("plans:sign", args=[session.pk]))
    data = {"version": session.version, **extra}
    for index, _finding in enumerate(page.context["overrides"]):
        data[f"override_{index}"] = "Reason given"
    for index, _finding in enumerate(page.context["warnings"]):
        data[f"ack_{index}"] = "on"
    return data


def test_signing_needs_every_warning_acknowledged_and_records_them(neuro_client, neurologist, visit):
    session = prepare(plan(visit, neurologist, rows=(("SCM", "left", "40", 2), ("SCM", "right", "40", 2))), neurologist)
    page = neuro_client.get(reverse("plans:sign", args=[session.pk]))
    warnings = page.context["warnings"]
    assert not page.context["overrides"]
    assert any(finding.code == "SCM_BILATERAL" for finding in warnings)
    response = neuro_client.post(reverse("plans:sign", args=[session.pk]), {"version": session.version})
    assert response.status_code == 400
    assert "Acknowledge this warning to sign" in response.content.decode()
    session.refresh_from_db()
    assert not session.is_signed

    data = {"version": session.version}
    for index in range(len(warnings)):
        data[f"ack_{index}"] = "on"
        data[f"reason_{index}"] = "bilateral anterocollis component" if index == 0 else ""
    response = neuro_client.post(reverse("plans:sign", args=[session.pk]), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_signed and session.signed_by == neurologist
    assert session.acknowledgements.count() == len(warnings)
    assert {f["code"] for f in session.findings_at_signing} >= {"SCM_BILATERAL"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SIGN, object_id=str(session.pk)).exists()


def test_the_first_signature_clears_the_toxin_naive_flag(neurologist, visit):
    assert visit.patient.toxin_naive
    signed(visit, neurologist)
    visit.patient.refresh_from_db()
    assert not visit.patient.toxin_naive


def test_a_nurse_cannot_sign(client, nurse, neurologist, visit):
    session = plan(visit, neurologist)
    client.force_login(nurse)
    assert client.get(reverse("plans:sign", args=[session.pk])).status_code == 403
    assert client.post(reverse("plans:sign", args=[session.pk]), {"version": session.version}).status_code == 403


# --- A signed session is never changed ---


def test_no_view_changes_a_signed_session(neuro_client, client, nurse, neurologist, visit):
    session = signed(visit, neurologist)
    before = [(r.muscle_id, r.side, r.dose, r.sites) for r in session.injections.all()]
    editor = reverse("plans:editor", args=[session.pk])
    assert (
        neuro_client.post(editor, editor_post(session, action="save", rows=[("SCM", "left", "99", 1)])).status_code
        == 403
    )
    assert neuro_client.post(editor, editor_post(session, action="add:SCM:right")).status_code == 403
    assert neuro_client.post(reverse("plans:sign", args=[session.pk]), {"version": session.version}).status_code == 302
    client.force_login(nurse)
    assert (
        client.post(
            reverse("plans:prepare", args=[session.pk]),
            {
                "lot_number": "X",
                "lot_expiry": "2027-01-01",
                "vial_units": "100",
                "vial_count": "1",
                "diluent_ml": "2",
                "version": session.version,
            },
        ).status_code
        == 403
    )
    session.refresh_from_db()
    assert [(r.muscle_id, r.side, r.dose, r.sites) for r in session.injections.all()] == before
    assert session.lot_number == "LOT-1"  # as prepared before signing


def test_no_service_or_model_save_changes_a_signed_session(neurologist, visit):
    session = signed(visit, neurologist)
    with pytest.raises(ValidationError):
        services.session_save_plan(
            session=session,
            version=session.version,
            product=product("ONA"),
            default_guidance="emg",
            rows=[],
            acting_user=neurologist,
        )
    with pytest.raises(ValidationError):
        services.session_add_row(
            session=session, version=session.version, muscle=muscle("SCM"), side="right", acting_user=neurologist
        )
    with pytest.raises(ValidationError):
        services.session_prepare(
            session=session,
            version=session.version,
            lot_number="X",
            lot_expiry=TODAY,
            vial_units=Decimal(100),
            vial_count=1,
            diluent_ml=Decimal(2),
            acting_user=neurologist,
        )
    session.default_guidance = "emg"
    with pytest.raises(SignedSessionError):
        session.save()
    row = session.injections.first()
    row.dose = Decimal(1)
    with pytest.raises(SignedSessionError):
        row.save()
    with pytest.raises(SignedSessionError):
        row.delete()
    with pytest.raises(SignedSessionError):
        session.delete()


def test_an_amendment_needs_a_reason_and_keeps_the_original(neuro_client, neurologist, visit):
    original = signed(visit, neurologist)
    response = neuro_client.post(reverse("plans:amend", args=[original.pk]), {"reason": ""})
    assert "This field is required." in response.content.decode()
    response = neuro_client.post(reverse("plans:amend", args=[original.pk]), {"reason": "Dose typed on the wrong side"})
    amendment = InjectionSession.objects.get(amends=original)
    assert response["Location"] == reverse("plans:editor", args=[amendment.pk])
    assert amendment.injections.count() == original.injections.count()

    amendment, _ = services.session_save_plan(
        session=amendment,
        version=amendment.version,
        product=product("ONA"),
        default_guidance="anatomical",
        rows=[services.RowInput(muscle("SCM"), "right", Decimal(40), 2, "anatomical")],
        acting_user=neurologist,
    )
    sign_accepting_all(amendment, neurologist)
    assert list(InjectionSession.objects.current()) == [amendment]
    original.refresh_from_db()
    assert original.is_signed
    assert [(r.muscle.code, r.side) for r in original.injections.all()] == [
        ("SCM", "left"),
        ("SPLENIUS_CAPITIS", "right"),
    ]
    page = neuro_client.get(reverse("plans:record", args=[original.pk])).content.decode()
    assert "Superseded:" in page and "Dose typed on the wrong side" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.AMEND, reason="Dose typed on the wrong side").exists()


def test_start_from_last_session_copies_doses_only_for_the_same_product(neuro_client, neurologist):
    patient = PatientFactory()
    earlier = VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=90), status="in_progress")
    signed(earlier, neurologist, product_code="ABO", rows=(("SCM", "left", "125", 2),))
    today = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    neuro_client.post(reverse("plans:for_visit", args=[today.pk]), {"start": "from_last"})
    session = InjectionSession.objects.get(visit=today)
    assert session.product.code == "ABO"
    assert [(r.muscle.code, r.dose) for r in session.injections.all()] == [("SCM", Decimal("125.00"))]
    # Switching product then drops the numbers: 125 U Dysport is not 125 U of anything else.
    neuro_client.post(
        reverse("plans:editor", args=[session.pk]),
        editor_post(session, product=product("ONA").pk, action="save", rows=[("SCM", "left", "125", 2)]),
    )
    assert [r.dose for r in session.injections.all()] == [None]


def test_a_product_switch_is_reported_with_the_previous_doses_in_their_own_units(neuro_client, neurologist):
    patient = PatientFactory()
    earlier = VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=100), status="in_progress")
    signed(earlier, neurologist, product_code="ABO", rows=(("SCM", "left", "125", 2),))
    session = plan(VisitFactory(patient=patient, date=TODAY, status="in_progress"), neurologist, product_code="ONA")
    page = neuro_client.get(reverse("plans:editor", args=[session.pk])).content.decode()
    assert "used Dysport, this plan uses Botox: units are not interchangeable" in page
    assert "125 U Dysport" in page
    assert "125 U Botox" not in page


def test_the_editor_shows_the_last_session_and_what_followed(neuro_client, neurologist):
    patient = PatientFactory()
    earlier = VisitFactory(patient=patient, date=TODAY - dt.timedelta(days=90), status="in_progress")
    signed(earlier, neurologist, rows=(("SPLENIUS_CAPITIS", "left", "60", 2),))
    today = VisitFactory(patient=patient, date=TODAY, status="in_progress")
    AdverseEventFactory(visit=today, kind="neck_weakness")
    session = plan(today, neurologist)
    page = neuro_client.get(reverse("plans:editor", args=[session.pk])).content.decode()
    assert "60 U Botox" in page and "splenius capitis" in page.lower()
    assert "Then:</span> neck weakness (mild, from day 5 for 14 days)" in " ".join(page.split())


def test_a_planned_interval_set_at_signing_drives_the_worklist(neuro_client, neurologist, visit):
    from planner.clinic.worklist import clinic_worklist

    session = prepare(plan(visit, neurologist), neurologist)
    response = neuro_client.post(
        reverse("plans:sign", args=[session.pk]), sign_data(neuro_client, session, planned_interval_weeks="16")
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.planned_interval_weeks == 16
    worklist = clinic_worklist(today=TODAY + dt.timedelta(weeks=16))
    due = {row.patient.pk: row.due for row in worklist.overdue + worklist.due + worklist.booked}
    assert due[visit.patient_id].due == TODAY + dt.timedelta(weeks=16)
    assert "planned interval of 16 weeks" in due[visit.patient_id].basis


def test_a_planned_interval_out_of_range_is_refused_at_the_field(neuro_client, neurologist, visit):
    session = prepare(plan(visit, neurologist), neurologist)
    response = neuro_client.post(
        reverse("plans:sign", args=[session.pk]), sign_data(neuro_client, session, planned_interval_weeks="2")
    )
    assert "Ensure this value is greater than or equal to 4." in response.content.decode()
    session.refresh_from_db()
    assert not session.is_signed


def test_prior_dysphagia_warns_on_an_anterior_neck_muscle(neuro_client, neurologist, visit):
    AdverseEventFactory(visit=visit, kind="dysphagia", dysphagia_grade=2, severity="moderate")
    session = plan(visit, neurologist, rows=(("SCM", "left", "40", 2),))
    response = neuro_client.get(reverse("plans:sign", args=[session.pk]))
    assert "DYSPHAGIA_ANTERIOR_NECK" in {finding.code for finding in response.context["warnings"]}


# --- The record ---


def test_the_printable_record_and_pdf_show_the_doses_in_the_products_units(neuro_client, neurologist, visit):
    session = signed(visit, neurologist)
    page = neuro_client.get(reverse("plans:record", args=[session.pk])).content.decode()
    assert "40 U Botox" in page and "60 U Botox" in page and "100 U Botox" in page
    assert 'role="img"' in page  # the neck diagram
    response = neuro_client.get(reverse("plans:record_pdf", args=[session.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    opened = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_id=str(session.pk))
    assert set(opened.values_list("changes__opened", flat=True)) >= {"printable record", "record PDF"}


def test_opening_the_plan_is_in_the_access_log(neuro_client, neurologist, visit):
    session = plan(visit, neurologist)
    neuro_client.get(reverse("plans:editor", args=[session.pk]))
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_id=str(session.pk)).get()
    assert event.patient_id == visit.patient_id and event.actor == neurologist


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("no_role", 403),
        ("reference_admin", 403),
        ("nurse", 200),
        ("neurologist", 200),
    ],
)
def test_who_may_open_a_plan(client_for, neurologist, visit, persona, status):
    session = plan(visit, neurologist)
    client = client_for(persona)
    for name in ("plans:editor", "plans:record"):
        assert client.get(reverse(name, args=[session.pk])).status_code == status
