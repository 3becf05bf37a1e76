"""The worklist: due dates across products and intervals, overdue, booked, today's visits, roles, queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from patients.models import Visit
from planner.clinic import worklist
from planner.clinic.worklist import classify, clinic_worklist, due_for
from planner.rules.policy import SETTING_FALLBACKS
from tests.patients.factories import PatientFactory, PostureComponentFactory, TwstrsFactory, VisitFactory
from tests.planner.outcomes_helpers import muscle, product, signed_session, treated_visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]
TODAY = date(2026, 6, 15)
# No PolicySetting rows in these tests unless one says so: the worklist uses the fallbacks (and says so).
USUAL_CYCLE_WEEKS = int(SETTING_FALLBACKS["usual_cycle_weeks"])
LAPSED_AFTER_DAYS = int(SETTING_FALLBACKS["lapsed_after_days"])


@pytest.fixture
def products(db):
    return {code: product(code) for code in ("ONA", "ABO", "INCO", "DAXI")}


@pytest.fixture
def splenius(db):
    return muscle("SPLENIUS_CAPITIS", "Splenius capitis")


def days_ago(days):
    return TODAY - timedelta(days=days)


def treated(products, splenius, neurologist, code, days, **patient):
    patient = PatientFactory(**patient)
    treated_visit(patient, days_ago(days), products[code], [(splenius, "left", 60, 2)], signer=neurologist)
    return patient


# --- Due dates (pure) --------------------------------------------------------------------------------------


def test_the_due_date_is_the_last_session_plus_the_products_minimum_interval():
    due = due_for(last_session=date(2026, 3, 2), product_name="Dysport", minimum_weeks=12)
    assert due.due == due.earliest == date(2026, 5, 25)
    assert due.basis == "minimum interval for Dysport: 12 weeks"
    assert not due.clinic_policy


def test_a_planned_interval_sets_the_due_date_and_the_minimum_still_sets_the_earliest():
    due = due_for(last_session=date(2026, 3, 2), product_name="Botox", minimum_weeks=10, planned_weeks=16)
    assert due.due == date(2026, 6, 22)
    assert due.earliest == date(2026, 5, 11)
    assert due.basis == "planned interval of 16 weeks"


def test_without_a_labelled_minimum_the_clinics_usual_cycle_applies_and_says_so():
    due = due_for(last_session=date(2026, 3, 2), product_name="Daxxify", minimum_weeks=None)
    assert due.due == date(2026, 3, 2) + timedelta(weeks=USUAL_CYCLE_WEEKS)
    assert due.earliest is None
    assert due.clinic_policy
    assert "Daxxify has no labelled minimum interval" in due.basis


def test_a_fractional_minimum_rounds_up_to_the_next_whole_day():
    due = due_for(last_session=date(2026, 3, 2), product_name="X", minimum_weeks="10.5")
    assert due.due == date(2026, 3, 2) + timedelta(days=74)  # 73.5 days -> 74


@pytest.mark.parametrize(
    ("due_in", "booked", "group"),
    [
        (-1, False, "overdue"),
        (0, False, "due"),
        (14, False, "due"),
        (15, False, None),
        (-30, True, "booked"),
        (-LAPSED_AFTER_DAYS, False, "overdue"),
        (-LAPSED_AFTER_DAYS - 1, False, "lapsed"),
        (-LAPSED_AFTER_DAYS - 1, True, "booked"),
    ],
)
def test_classify_by_the_due_date_and_the_window(due_in, booked, group):
    from planner.clinic.worklist import WorklistRow

    due = due_for(last_session=TODAY + timedelta(days=due_in - 84), product_name="Dysport", minimum_weeks=12)
    row = WorklistRow(patient=None, due=due, booked=object() if booked else None)
    assert classify(row, today=TODAY, horizon_days=14) == group


# --- The worklist from the database ---------------------------------------------------------------------------


def mrns(rows):
    return [row.patient.mrn for row in rows]


def test_due_dates_follow_each_patients_last_product(products, splenius, neurologist):
    dysport = treated(products, splenius, neurologist, "ABO", 100, mrn="DYS100")  # due 16 days ago
    botox = treated(products, splenius, neurologist, "ONA", 65, mrn="BOT065")  # EU 10 weeks: due in 5 days
    xeomin = treated(products, splenius, neurologist, "INCO", 74, mrn="XEO074")  # longest label, 12 weeks: in 10
    daxxify = treated(products, splenius, neurologist, "DAXI", 80, mrn="DAX080")  # clinic policy 12 weeks: in 4
    treated(products, splenius, neurologist, "ABO", 30, mrn="DYS030")  # due in 54 days: not listed
    work = clinic_worklist(today=TODAY, horizon_days=14)
    assert mrns(work.overdue) == [dysport.mrn]
    assert work.overdue[0].overdue_days == 16
    assert mrns(work.due) == [daxxify.mrn, botox.mrn, xeomin.mrn]
    by_mrn = {row.patient.mrn: row.due for row in work.due}
    assert by_mrn[botox.mrn].due == days_ago(65) + timedelta(weeks=10)
    assert by_mrn[xeomin.mrn].due == days_ago(74) + timedelta(weeks=12)
    assert by_mrn[daxxify.mrn].clinic_policy
    assert clinic_worklist(today=TODAY, horizon_days=56).due[-1].patient.mrn == "DYS030"


def test_a_booked_patient_is_listed_as_booked_and_an_early_booking_is_flagged(products, splenius, neurologist):
    on_time = treated(products, splenius, neurologist, "ABO", 100, mrn="ONTIME")
    VisitFactory(patient=on_time, date=TODAY + timedelta(days=3), status=Visit.Status.SCHEDULED)
    early = treated(products, splenius, neurologist, "ABO", 80, mrn="EARLY1")  # earliest in 4 days
    VisitFactory(patient=early, date=TODAY + timedelta(days=2), status=Visit.Status.SCHEDULED)
    work = clinic_worklist(today=TODAY)
    assert mrns(work.booked) == ["EARLY1", "ONTIME"]
    assert [row.booked_too_early for row in work.booked] == [True, False]
    assert not work.overdue and not work.due


def test_a_booking_that_went_by_unrecorded_is_shown_as_missed(products, splenius, neurologist):
    patient = treated(products, splenius, neurologist, "ABO", 100, mrn="MISSED")
    VisitFactory(patient=patient, date=TODAY - timedelta(days=5), status=Visit.Status.SCHEDULED)
    work = clinic_worklist(today=TODAY)
    assert mrns(work.overdue) == ["MISSED"]
    assert [visit.date for visit in work.overdue[0].missed] == [TODAY - timedelta(days=5)]


def test_the_current_record_counts_drafts_and_replaced_sessions_do_not(products, splenius, neurologist):
    patient = PatientFactory(mrn="AMEND1")
    visit = VisitFactory(patient=patient, date=days_ago(66))
    original = signed_session(visit, products["ABO"], [(splenius, "left", 200, 2)], signer=neurologist)
    # The product was recorded wrongly: the amendment says Botox, whose minimum is 10 weeks.
    signed_session(
        visit, products["ONA"], [(splenius, "left", 60, 2)], signer=neurologist, amends=original, reason="wrong product"
    )
    later = VisitFactory(patient=patient, date=days_ago(10), status=Visit.Status.IN_PROGRESS)
    from planner.models import InjectionSession

    InjectionSession.objects.create(visit=later, product=products["ABO"], created_by=neurologist)  # a draft
    [row] = clinic_worklist(today=TODAY).due
    assert row.due.product_name == "Botox"
    assert row.due.due == days_ago(66) + timedelta(weeks=10)


def test_inactive_and_never_treated_patients_are_not_listed(products, splenius, neurologist):
    treated(products, splenius, neurologist, "ABO", 200, mrn="GONE01", active=False)
    VisitFactory(patient=PatientFactory(mrn="NEW001"), date=days_ago(3))
    work = clinic_worklist(today=TODAY)
    assert work.overdue == work.due == work.booked == []


def test_todays_visits_show_how_far_each_has_got(products, splenius, neurologist):
    nothing = VisitFactory(patient=PatientFactory(family_name="Adams"), date=TODAY, status=Visit.Status.SCHEDULED)
    drafted = VisitFactory(patient=PatientFactory(family_name="Brown"), date=TODAY, status=Visit.Status.IN_PROGRESS)
    PostureComponentFactory(assessment__visit=drafted)
    TwstrsFactory(visit=drafted)
    from planner.models import InjectionSession

    InjectionSession.objects.create(visit=drafted, product=products["ABO"], created_by=neurologist)
    signed = VisitFactory(patient=PatientFactory(family_name="Clark"), date=TODAY, status=Visit.Status.IN_PROGRESS)
    PostureComponentFactory(assessment__visit=signed)
    signed_session(signed, products["ONA"], [(splenius, "right", 50, 2)], signer=neurologist)
    rows = clinic_worklist(today=TODAY).today_visits
    assert [(row.visit, row.assessed, row.twstrs_recorded, row.plan) for row in rows] == [
        (nothing, False, False, "none"),
        (drafted, True, True, "draft"),
        (signed, True, False, "signed"),
    ]


def clinic(products, splenius, neurologist, size):
    codes = ["ABO", "ONA", "INCO", "DAXI"]
    for number in range(size):
        patient = treated(products, splenius, neurologist, codes[number % 4], 60 + number % 50)
        if number % 3 == 0:
            # From tomorrow: one visit per patient per day, and today's may be the one in progress below.
            VisitFactory(patient=patient, date=TODAY + timedelta(days=1 + number % 7), status=Visit.Status.SCHEDULED)
        if number % 5 == 0:
            VisitFactory(patient=patient, date=TODAY, status=Visit.Status.IN_PROGRESS)


def test_the_worklist_page_takes_the_same_number_of_queries_for_5_or_50_patients(
    client, nurse, products, splenius, neurologist, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(nurse)
    clinic(products, splenius, neurologist, 5)
    client.get(reverse("clinic:worklist"))
    cache.clear()  # the lists as worked out, not as cached (see the cache tests below)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("clinic:worklist"))
    assert response.status_code == 200
    clinic(products, splenius, neurologist, 45)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("clinic:worklist") + "?within=56")
    assert response.status_code == 200
    # Eleven for the worklist (see the next test), the revision; the session, the user, the role version and,
    # the cache being empty, the user's permissions and groups (planner.access.backends); and five for the
    # access entry naming the patients shown (the audit chain head, locked, the entry, the new head, in a
    # savepoint).
    assert len(few.captured_queries) <= 24


def test_the_worklist_page_lists_the_groups_with_book_links(client, nurse, products, splenius, neurologist):
    treated(products, splenius, neurologist, "DAXI", 100, mrn="DAX100", family_name="Østergaard")
    client.force_login(nurse)
    html = client.get(reverse("clinic:worklist")).content.decode()
    assert "ØSTERGAARD" in html
    assert "16 days overdue" in html
    assert "clinic policy" in html
    assert reverse("patients:visit_book", args=[PatientFactory._meta.model.objects.get(mrn="DAX100").pk]) in html


def test_an_unknown_window_is_refused_at_the_field(client, nurse):
    client.force_login(nurse)
    response = client.get(reverse("clinic:worklist") + "?within=9")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert response.context["horizon_days"] == 14


def test_the_worklist_itself_takes_eleven_queries_for_5_or_50_patients_and_writes_nothing(
    products, splenius, neurologist, django_assert_num_queries
):
    clinic(products, splenius, neurologist, 5)
    # policy settings, intervals (3), counts, four groups with their patients, missed bookings, today: all SELECTs
    with django_assert_num_queries(11) as queries:
        few = clinic_worklist(today=TODAY, horizon_days=56)
    assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in queries.captured_queries)
    clinic(products, splenius, neurologist, 45)
    with django_assert_num_queries(11):
        many = clinic_worklist(today=TODAY, horizon_days=56)
    assert sum(many.totals.values()) > sum(few.totals.values()) >= 5


# --- At clinic scale: the most urgent first, capped, with true counts; lapsed patients apart --------------------


def test_each_list_shows_the_most_urgent_patients_up_to_the_limit_and_counts_them_all(products, splenius, neurologist):
    for days in (90, 120, 100, 95):  # Dysport, 12 weeks: overdue by 6, 36, 16 and 11 days
        treated(products, splenius, neurologist, "ABO", days, mrn=f"OVER{days}")
    for days in (80, 70, 75):  # due in 4, 14 and 9 days
        treated(products, splenius, neurologist, "ABO", days, mrn=f"DUE{days}")
    for days, booking in ((100, 5), (95, 2), (90, 9)):
        patient = treated(products, splenius, neurologist, "ABO", days, mrn=f"BOOK{days}")
        VisitFactory(patient=patient, date=TODAY + timedelta(days=booking), status=Visit.Status.SCHEDULED)
    work = clinic_worklist(today=TODAY, limit=2)
    assert mrns(work.overdue) == ["OVER120", "OVER100"]
    assert mrns(work.due) == ["DUE80", "DUE75"]
    assert mrns(work.booked) == ["BOOK95", "BOOK100"]
    assert work.totals == {"overdue": 4, "due": 3, "booked": 3, "lapsed": 0}
    assert clinic_worklist(today=TODAY).totals == work.totals


def test_a_patient_overdue_by_more_than_a_year_has_lapsed_unless_booked(products, splenius, neurologist):
    year = 84 + LAPSED_AFTER_DAYS  # a Dysport session this long ago was due a year ago today
    treated(products, splenius, neurologist, "ABO", year, mrn="YEAR00")
    treated(products, splenius, neurologist, "ABO", year + 1, mrn="LAPSE1")
    treated(products, splenius, neurologist, "ABO", year + 400, mrn="LAPSE2")
    back = treated(products, splenius, neurologist, "ABO", year + 30, mrn="CAMEBK")
    VisitFactory(patient=back, date=TODAY + timedelta(days=7), status=Visit.Status.SCHEDULED)
    work = clinic_worklist(today=TODAY)
    assert mrns(work.overdue) == ["YEAR00"]
    assert work.overdue[0].overdue_days == LAPSED_AFTER_DAYS
    assert mrns(work.lapsed) == ["LAPSE1", "LAPSE2"]  # the most recently lapsed first
    assert mrns(work.booked) == ["CAMEBK"]
    assert work.totals == {"overdue": 1, "due": 0, "booked": 1, "lapsed": 2}
    assert work.lapsed_before == TODAY - timedelta(days=LAPSED_AFTER_DAYS)


def test_the_page_says_how_many_are_not_shown_and_keeps_lapsed_patients_out_of_the_overdue_table(
    client, nurse, products, splenius, neurologist, monkeypatch
):
    monkeypatch.setattr(worklist, "LIST_LIMIT", 2)
    for days in (90, 120, 100):
        treated(products, splenius, neurologist, "ABO", days, mrn=f"OVER{days}")
    treated(products, splenius, neurologist, "ABO", 84 + LAPSED_AFTER_DAYS + 10, mrn="LAPSED")
    client.force_login(nurse)
    html = client.get(reverse("clinic:worklist")).content.decode()
    assert "Showing 2 of 3 overdue, most overdue first" in html
    assert "OVER120" in html and "OVER100" in html and "OVER90" not in html
    overdue_table = html.split('id="overdue-table"')[1].split("</table>")[0]
    assert "LAPSED" not in overdue_table
    assert "Lapsed (1)" in html
    assert "Show the 1 lapsed patient</summary>" in html
    assert 'id="lapsed-list"' in html and "LAPSED" in html.split('id="lapsed-list"')[1]
    assert 'id="due-shown"' not in html  # nobody due: no "showing" line


def test_todays_visits_are_listed_in_full_whatever_the_limit():
    for number in range(3):
        VisitFactory(patient=PatientFactory(mrn=f"TODAY{number}"), date=TODAY, status=Visit.Status.SCHEDULED)
    assert len(clinic_worklist(today=TODAY, limit=1).today_visits) == 3


# --- The index of due dates (TreatmentDue) follows the records --------------------------------------------------


def test_signing_records_the_patients_last_session_and_due_date(products, splenius, neurologist):
    from planner.models import TreatmentDue

    patient = treated(products, splenius, neurologist, "ABO", 100, mrn="INDEX1")
    row = TreatmentDue.objects.get(patient=patient)
    assert (row.last_session, row.product.code, row.delay_days, row.due) == (
        days_ago(100),
        "ABO",
        84,
        days_ago(100) + timedelta(weeks=12),
    )
    treated_visit(patient, days_ago(20), products["ONA"], [(splenius, "left", 60, 2)], signer=neurologist)
    row.refresh_from_db()
    assert (row.last_session, row.product.code, row.due) == (days_ago(20), "ONA", days_ago(20) + timedelta(weeks=10))


def test_a_planned_interval_given_at_signing_sets_the_due_date(products, splenius, neurologist):
    from planner.models import InjectionSession

    patient = treated(products, splenius, neurologist, "ABO", 100, mrn="PLAN16")
    session = InjectionSession.objects.get(visit__patient=patient)
    # Written as signing does it; a signed row is read-only afterwards, so the draft is signed with it.
    draft = InjectionSession.objects.create(
        visit=VisitFactory(patient=patient, date=days_ago(50)), product=products["ABO"], created_by=neurologist
    )
    draft.status, draft.signed_by, draft.signed_at = InjectionSession.Status.SIGNED, neurologist, session.signed_at
    draft.planned_interval_weeks = 8
    draft.save()
    worklist.refresh_treatment_due([patient.pk])
    [row] = clinic_worklist(today=TODAY).due  # not overdue, as 12 weeks of Dysport would make it
    assert row.patient == patient
    assert row.due.due == days_ago(50) + timedelta(weeks=8)
    assert row.due.basis == "planned interval of 8 weeks"


def test_a_changed_minimum_interval_in_the_reference_data_moves_the_due_dates(products, splenius, neurologist):
    from planner.models import ProductLimit

    treated(products, splenius, neurologist, "ABO", 80, mrn="DYS080")  # 12 weeks: due in 4 days
    assert mrns(clinic_worklist(today=TODAY).due) == ["DYS080"]
    limit = ProductLimit.objects.get(product=products["ABO"], kind=ProductLimit.Kind.MIN_INTERVAL_WEEKS)
    limit.value = Decimal(10)  # an admin corrects the label: now due 10 days ago
    limit.save()
    assert worklist.resettle_due_dates() == 1  # as the admin, its import and loadreference do
    work = clinic_worklist(today=TODAY)
    assert mrns(work.overdue) == ["DYS080"] and not work.due
    assert work.overdue[0].overdue_days == 10


def test_the_clinics_usual_cycle_and_lapse_come_from_the_policy_settings(products, splenius, neurologist):
    from planner.models import PolicySetting

    treated(products, splenius, neurologist, "DAXI", 100, mrn="DAX100")  # usual 12 weeks: 16 days overdue
    treated(products, splenius, neurologist, "ABO", 84 + 200, mrn="ABO284")  # due 200 days ago: overdue
    work = clinic_worklist(today=TODAY)
    assert mrns(work.overdue) == ["ABO284", "DAX100"]
    assert work.overdue[1].due.default_used and not work.overdue[0].due.default_used
    assert len(work.defaults_used) == 2
    PolicySetting.objects.create(code="usual_cycle_weeks", value=16, note="Clinic policy: test")
    PolicySetting.objects.create(code="lapsed_after_days", value=180, note="Clinic policy: test")
    assert worklist.resettle_due_dates() == 1  # as the admin does after saving a setting
    work = clinic_worklist(today=TODAY)
    assert mrns(work.lapsed) == ["ABO284"] and not work.overdue
    [row] = work.due
    assert row.due.due == days_ago(100) + timedelta(weeks=16)
    assert row.due.basis.startswith("clinic's usual 16 weeks") and not row.due.default_used
    assert work.defaults_used == [] and work.lapsed_before == TODAY - timedelta(days=180)


def test_the_after_care_handout_dates_the_next_session_by_the_clinics_usual_cycle(products, splenius, neurologist):
    from planner.documents.handout import next_due
    from planner.models import InjectionSession, PolicySetting

    patient = treated(products, splenius, neurologist, "DAXI", 100, mrn="DAX100")  # no labelled minimum
    session = InjectionSession.objects.get(visit__patient=patient)
    assert next_due(session) == days_ago(100) + timedelta(weeks=12)  # the fallback
    PolicySetting.objects.create(code="usual_cycle_weeks", value=16, note="Clinic policy: test")
    assert next_due(session) == days_ago(100) + timedelta(weeks=16)


def test_the_page_says_when_a_policy_setting_is_missing_and_its_default_is_used(
    client, nurse, products, splenius, neurologist
):
    from planner.models import PolicySetting

    treated(products, splenius, neurologist, "DAXI", 100, mrn="DAX100")
    client.force_login(nurse)
    html = client.get(reverse("clinic:worklist")).content.decode()
    assert "default used" in html
    assert "minimum interval (weeks)” (usual_cycle_weeks) from 1 to 104; the built-in 12 applies" in html
    assert "lapsed (days)” (lapsed_after_days) from 1 to 3650; the built-in 365 applies" in html
    PolicySetting.objects.create(code="usual_cycle_weeks", value=12, note="Clinic policy: test")
    PolicySetting.objects.create(code="lapsed_after_days", value=365, note="Clinic policy: test")
    html = client.get(reverse("clinic:worklist")).content.decode()  # a setting bumps the reference version
    assert "default used" not in html.lower()
    assert "16 days overdue" in html and "clinic policy" in html


def test_a_corrected_visit_date_changes_which_session_is_the_last(products, splenius, neurologist):
    from patients.services import visit_update

    patient = treated(products, splenius, neurologist, "ABO", 100, mrn="DATE01")
    later = treated_visit(patient, days_ago(30), products["ONA"], [(splenius, "left", 60, 2)], signer=neurologist)
    assert clinic_worklist(today=TODAY, horizon_days=56).due[0].due.product_name == "Botox"
    # It was keyed in with the wrong year.
    visit_update(visit=later.visit, date=days_ago(200), notes="", acting_user=neurologist)
    [row] = clinic_worklist(today=TODAY).overdue
    assert (row.due.product_name, row.due.last_session) == ("Dysport", days_ago(100))


def test_rows_filled_by_the_migration_get_their_due_dates_when_the_reference_data_is_loaded(
    products, splenius, neurologist
):
    from planner.models import TreatmentDue

    treated(products, splenius, neurologist, "ABO", 100, mrn="MIGR01")
    TreatmentDue.objects.update(delay_days=None, due=None)  # as 0006 leaves them
    assert clinic_worklist(today=TODAY).overdue == []  # a read never writes
    worklist.resettle_due_dates()  # what loadreference (run by the entrypoint at every start) ends with
    assert mrns(clinic_worklist(today=TODAY).overdue) == ["MIGR01"]
    assert TreatmentDue.objects.get().due == days_ago(100) + timedelta(weeks=12)


def test_rebuilding_the_index_gives_the_rows_the_services_keep(products, splenius, neurologist):
    from planner.models import TreatmentDue

    clinic(products, splenius, neurologist, 12)
    kept = set(TreatmentDue.objects.values_list("patient_id", "session_id", "last_session", "product_id", "due"))
    worklist.rebuild_treatment_due()
    assert (
        set(TreatmentDue.objects.values_list("patient_id", "session_id", "last_session", "product_id", "due")) == kept
    )
    assert len(kept) == 12


def test_a_deactivated_patient_leaves_the_worklist_and_comes_back_when_reactivated(products, splenius, neurologist):
    patient = treated(products, splenius, neurologist, "ABO", 100, mrn="AWAY01")
    patient.active = False
    patient.save()
    assert clinic_worklist(today=TODAY).overdue == []
    patient.active = True
    patient.save()
    assert mrns(clinic_worklist(today=TODAY).overdue) == ["AWAY01"]


# --- The rendered lists are cached per clinic revision ------------------------------------------------------------


def test_a_second_view_reuses_the_rendered_lists_until_something_changes(
    client, nurse, products, splenius, neurologist, django_assert_max_num_queries
):
    patient = treated(products, splenius, neurologist, "ABO", 80, mrn="CACHE1")  # due in 4 days
    client.force_login(nurse)
    assert "CACHE1" in client.get(reverse("clinic:worklist")).content.decode()
    # The session, user, permissions, groups and the revision; five for the access entry (the cached lists
    # keep the patients they show, so each view still logs who was shown).
    with django_assert_max_num_queries(12):
        html = client.get(reverse("clinic:worklist")).content.decode()
    assert "CACHE1" in html and "Book a visit" in html
    VisitFactory(patient=patient, date=TODAY + timedelta(days=6), status=Visit.Status.SCHEDULED)
    html = client.get(reverse("clinic:worklist")).content.decode()
    assert "Nobody else is due in this window." in html
    assert html.split('id="booked-table"')[1].count("CACHE1") == 1
    patient.family_name = "Renamed"
    patient.save()
    assert "RENAMED" in client.get(reverse("clinic:worklist")).content.decode()


def test_the_cached_lists_follow_the_window_and_the_users_permission_to_book(
    client, nurse, products, splenius, neurologist
):
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    reader = make_user()
    reader.user_permissions.add(
        Permission.objects.get(content_type__app_label="patients", codename="view_patient"),
        Permission.objects.get(content_type__app_label="planner", codename="view_injectionsession"),
    )
    treated(products, splenius, neurologist, "ABO", 60, mrn="LATER1")  # due in 24 days
    client.force_login(nurse)
    assert "LATER1" not in client.get(reverse("clinic:worklist")).content.decode()
    assert "LATER1" in client.get(reverse("clinic:worklist") + "?within=28").content.decode()
    client.force_login(reader)
    html = client.get(reverse("clinic:worklist") + "?within=28").content.decode()
    assert "LATER1" in html and "Book a visit" not in html and "not booked" in html


def test_a_changed_minimum_interval_reaches_the_cached_page(client, nurse, products, splenius, neurologist):
    from planner.models import ProductLimit

    treated(products, splenius, neurologist, "ABO", 80, mrn="REFCH1")
    client.force_login(nurse)
    assert "days overdue" not in client.get(reverse("clinic:worklist")).content.decode()
    limit = ProductLimit.objects.get(product=products["ABO"], kind=ProductLimit.Kind.MIN_INTERVAL_WEEKS)
    limit.value = Decimal(10)
    limit.save()
    worklist.resettle_due_dates()  # as the admin does in the same transaction
    assert "10 days overdue" in client.get(reverse("clinic:worklist")).content.decode()
