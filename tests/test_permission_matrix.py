"""Every URL x every persona x GET and POST answers as the table below says.

The table is the access policy written down: a change to what a role may open shows up here as
a changed number. Every URL pattern the project serves must have a row, so a new page cannot
skip the check: a missing row fails `test_every_url_pattern_has_a_row`, naming the URL and the
row to add.

Each URL is built from real objects (tests/security_world.py), so each view runs its own object
lookup. POSTs are probes with no data: the question is only whether the request gets in (200 or
400 with form errors, 302 after an action) or is stopped (302 to the sign-in page, 403, 405).
Each request runs in a transaction that is rolled back, so a probe that does act (deactivating the
patient, say) changes nothing for the next.
"""

import copy

import pytest
from django.contrib import admin
from django.db import transaction

from planner.reference.admin import ReferenceAdmin
from tests.security_world import PERSONAS, walk_urls, world  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db

L = "login"  # a 302 to a sign-in page: the app's, or the admin's own for admin pages

# The object each URL is built from (tests/security_world.py `build_world`), then the status for
# GET and POST by each persona. 200 page, 302 redirect after an action, 400 a form with errors,
# 403 refused, 405 method not allowed.
# fmt: off
MATRIX = {
    # URL name                              object            anonymous  no role    nurse      neurologist ref. admin
    #                                                          GET  POST  GET  POST  GET  POST  GET  POST  GET  POST
    "home":                                 (None,             L,   L,    200, 405,  200, 405,  200, 405,  200, 405),
    "healthz":                              (None,             200, 405,  200, 405,  200, 405,  200, 405,  200, 405),
    "keep_alive":                           (None,             L,   L,    405, 200,  405, 200,  405, 200,  405, 200),
    "login":                                (None,             200, 200,  302, 302,  302, 302,  302, 302,  302, 302),
    "logout":                               (None,             L,   L,    405, L,    405, L,    405, L,    405, L),
    "two_factor_setup":                     (None,             L,   L,    200, 200,  200, 200,  200, 200,  200, 200),
    "two_factor_verify":                    (None,             L,   L,    200, 200,  200, 200,  200, 200,  200, 200),
    # Patients and visits: the clinical roles only.
    "patients:patient_list":                (None,             L,   L,    403, 403,  200, 405,  200, 405,  403, 403),
    "patients:patient_register":            (None,             L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:patient_chart":               ("patient",        L,   L,    403, 403,  200, 405,  200, 405,  403, 403),
    "patients:patient_edit":                ("patient",        L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:patient_deactivate":          ("patient",        L,   L,    403, 403,  200, 302,  200, 302,  403, 403),
    "patients:patient_reactivate":          ("patient",        L,   L,    403, 403,  405, 302,  405, 302,  403, 403),
    "patients:visit_book":                  ("patient",        L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:visit_detail":                ("visit",          L,   L,    403, 403,  200, 405,  200, 405,  403, 403),
    "patients:visit_edit":                  ("visit",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:visit_status":                ("visit",          L,   L,    403, 403,  405, 302,  405, 302,  403, 403),
    "patients:posture_record":              ("visit",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:twstrs_record":               ("visit",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:tsui_record":                 ("visit",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:outcome_record":              ("visit",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:adverse_event_add":           ("visit",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "patients:adverse_event_edit":          ("adverse_event",  L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    # Conditions, medicines and toxin given elsewhere: the clinical roles record them (issue 14).
    "conditions:add":                       ("patient",        L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "conditions:end":                       ("condition",      L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "conditions:outside_dose_add":          ("patient",        L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "conditions:outside_dose_remove":       ("outside_dose",   L,   L,    403, 403,  200, 302,  200, 302,  403, 403),
    # Reference pages: everyone with a role reads them; nobody changes them here.
    "reference:index":                      (None,             L,   L,    403, 405,  200, 405,  200, 405,  200, 405),
    "reference:muscles":                    (None,             L,   L,    403, 405,  200, 405,  200, 405,  200, 405),
    "reference:products":                   (None,             L,   L,    403, 405,  200, 405,  200, 405,  200, 405),
    "reference:product":                    ("product",        L,   L,    403, 405,  200, 405,  200, 405,  200, 405),
    "reference:sources":                    (None,             L,   L,    403, 405,  200, 405,  200, 405,  200, 405),
    # Injection plans: nurses see them and record the preparation; only neurologists plan, sign, amend.
    "plans:for_visit":                      ("plan_visit",     L,   L,    403, 403,  200, 403,  200, 302,  403, 403),
    "plans:editor":                         ("draft",          L,   L,    403, 403,  200, 403,  200, 400,  403, 403),
    "plans:prepare":                        ("draft",          L,   L,    403, 403,  200, 200,  200, 200,  403, 403),
    "plans:sign":                           ("draft",          L,   L,    403, 403,  403, 403,  200, 400,  403, 403),
    "plans:amend":                          ("signed",         L,   L,    403, 403,  403, 403,  200, 200,  403, 403),
    "plans:record":                         ("signed",         L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    "plans:record_pdf":                     ("signed",         L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    "plans:response":                       ("signed",         L,   L,    403, 403,  200, 400,  200, 400,  403, 403),
    "plans:handout":                        ("signed",         L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    "plans:handout_pdf":                    ("signed",         L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    # Clinic overview: the worklist and summaries for both clinical roles, figures and exports for neurologists.
    "clinic:worklist":                    (None,             L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    "clinic:figures":                     (None,             L,   L,    403, 405,  403, 405,  200, 405,  403, 405),
    "clinic:exports":                     (None,             L,   L,    403, 405,  403, 405,  200, 405,  403, 405),
    "clinic:export_csv":                  ("export_kind",    L,   L,    403, 405,  403, 405,  400, 405,  403, 405),
    "clinic:patient_summary":             ("patient",        L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    "clinic:patient_summary_pdf":         ("patient",        L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    "clinic:patient_fhir":                ("patient",        L,   L,    403, 405,  200, 405,  200, 405,  403, 405),
    # The audit report: auditors (reference admins) only.
    "audit:report":                         (None,             L,   L,    403, 405,  403, 405,  403, 405,  200, 405),
    "audit:report_csv":                     (None,             L,   L,    403, 405,  403, 405,  403, 405,  200, 405),
    # The admin site: staff only (reference admins). Django's admin sends signed-in non-staff to its
    # own sign-in page; the reference tables' admin refuses them outright (403).
    "admin:index":                          (None,             L,   L,    L,   L,    L,   L,    L,   L,    200, 200),
    "admin:login":                          (None,             200, 200,  200, 200,  200, 200,  200, 200,  302, 200),
    "admin:logout":                         (None,             L,   L,    302, 302,  302, 302,  302, 302,  405, L),
    "admin:password_change":                (None,             L,   L,    L,   L,    L,   L,    L,   L,    200, 200),
    "admin:autocomplete":                   (None,             L,   L,    L,   L,    L,   L,    L,   L,    403, 405),
    "admin:app_list":                       ("app_label",      L,   L,    L,   L,    L,   L,    L,   L,    200, 200),
    # Reference data, every view the admin has for one model (the other reference tables share the code).
    "admin:planner_muscle_changelist":      (None,             L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    "admin:planner_muscle_add":             (None,             L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    "admin:planner_muscle_change":          ("muscle",         L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    "admin:planner_muscle_history":         ("muscle",         L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    "admin:planner_muscle_simple_history":  ("muscle_version", L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    "admin:planner_muscle_delete":          ("muscle",         L,   L,    403, 403,  403, 403,  403, 403,  403, 403),
    "admin:planner_muscle_import":          (None,             L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    "admin:planner_muscle_process_import":  (None,             L,   L,    403, 403,  403, 403,  403, 403,  405, 200),
    "admin:planner_muscle_export":          (None,             L,   L,    403, 403,  403, 403,  403, 403,  200, 200),
    # Accounts: reference admins may look at users and groups, never change them.
    "admin:auth_user_changelist":           (None,             L,   L,    L,   L,    L,   L,    L,   L,    200, 200),
    "admin:auth_user_add":                  (None,             L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:auth_user_change":               ("user",           L,   L,    L,   L,    L,   L,    L,   L,    200, 403),
    "admin:auth_user_history":              ("user",           L,   L,    L,   L,    L,   L,    L,   L,    200, 200),
    "admin:auth_user_delete":               ("user",           L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:auth_user_password_change":      ("user",           L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:auth_group_changelist":          (None,             L,   L,    L,   L,    L,   L,    L,   L,    200, 200),
    "admin:auth_group_change":              ("group",          L,   L,    L,   L,    L,   L,    L,   L,    200, 403),
    "admin:auth_group_delete":              ("group",          L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    # Sign-in lockouts and second-factor devices: superusers only.
    "admin:axes_accessattempt_changelist":  (None,             L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:axes_accessattempt_change":      ("access_attempt", L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:axes_accessattempt_delete":      ("access_attempt", L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:otp_totp_totpdevice_changelist": (None,             L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:otp_totp_totpdevice_config":     ("totp_device",    L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
    "admin:otp_totp_totpdevice_qrcode":     ("totp_device",    L,   L,    L,   L,    L,   L,    L,   L,    403, 403),
}
# fmt: on

# Django's generic admin internals, left out of the table on purpose:
# - pages of the admin site itself that show no data: the JavaScript translation catalogue and
#   "password changed"; "view on site" only redirects (staff only) to a page that checks its own
#   permission; the unnamed patterns redirect to a change page or answer 404 (the catch-all);
ADMIN_SITE_INTERNALS = {"admin:jsi18n", "admin:password_change_done", "admin:view_on_site"}
# - the views the admin generates for each registered model (named <app>_<model>_<view>). For the
#   reference tables they all come from planner.reference.admin.ReferenceAdmin, with the same permission checks
#   and the same staff-only wrapper: the Muscle rows above cover them (and tests/test_no_hard_delete.py
#   checks every reference table's delete view). For Django's own accounts, django-axes and django-otp,
#   the rows above cover users, groups, one lockout table and the device table.
GENERATED_ADMIN_VIEWS = (
    "changelist",
    "add",
    "change",
    "history",
    "delete",
    "import",
    "process_import",
    "export",
    "simple_history",
)
THIRD_PARTY_ADMIN_PACKAGES = ("django.contrib.auth", "axes", "django_otp")


def generated_admin_view(name):
    """(ModelAdmin, view) when ``name`` is a view the admin generates for a registered model, else None."""
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix) and name.removeprefix(prefix) in GENERATED_ADMIN_VIEWS:
            return model_admin, name.removeprefix(prefix)
    return None


def excluded(route):
    """True for the admin internals described above; never for a page of the app."""
    if not route.route.startswith("admin/"):
        return False
    if route.name is None or route.name in ADMIN_SITE_INTERNALS:
        return True
    generated = generated_admin_view(route.name)
    if generated is None:
        return False  # a custom admin page: it needs a row
    model_admin, view = generated
    if isinstance(model_admin, ReferenceAdmin):
        return f"admin:planner_muscle_{view}" in MATRIX
    return type(model_admin).__module__.startswith(THIRD_PARTY_ADMIN_PACKAGES)


def missing_row_message(routes):
    lines = [
        "These URL patterns have no row in the permission matrix (tests/test_permission_matrix.py, MATRIX).",
        "Add one row each: the world object its URL is built from (a key of build_world() in",
        "tests/security_world.py, or None when the URL takes no argument), then the expected status for",
        "GET and POST by anonymous, no role, nurse, neurologist and reference admin, for example:",
        "",
    ]
    for route in routes:
        if route.name is None:
            lines.append(f"    /{route.route} has no name: give its path() a name=, then add its row")
            continue
        needs_object = "<" in route.route or "(?P" in route.route
        obj = '"<object>"' if needs_object else "None"
        lines.append(f'    "{route.name}": ({obj}, L, L, 403, 403, 200, 200, 200, 200, 403, 403),  # /{route.route}')
    return "\n".join(lines)


def test_every_url_pattern_has_a_row():
    missing = [route for route in walk_urls() if route.name not in MATRIX and not excluded(route)]
    if missing:
        pytest.fail(missing_row_message(missing), pytrace=False)


def test_every_row_names_a_url_that_exists():
    names = {route.name for route in walk_urls()}
    assert sorted(set(MATRIX) - names) == [], "rows for URLs that no longer exist: remove them"


def test_only_admin_internals_are_left_out():
    left_out = [route for route in walk_urls() if route.name not in MATRIX and excluded(route)]
    assert left_out, "the exclusion rule matched nothing: it is no longer needed"
    assert all(route.route.startswith("admin/") for route in left_out)
    # Every reference table's generated views are left out only because the Muscle rows stand for them.
    assert all(f"admin:planner_muscle_{view}" in MATRIX for view in GENERATED_ADMIN_VIEWS)


def answer(client, method, url):
    """The status, with the request's writes rolled back and the client's cookies put back (so a
    probe of the sign-out page does not sign the persona out for the next request)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    client.cookies = cookies
    if response.status_code == 302 and response["Location"].startswith(("/accounts/login/", "/admin/login/")):
        return L
    return response.status_code


@pytest.mark.parametrize("name", list(MATRIX))
def test_each_persona_gets_what_the_matrix_says(world, name):  # noqa: F811
    obj, *expected = MATRIX[name]
    url = world.url(name, obj)
    got = []
    for persona in PERSONAS:
        client = world.client(persona)
        got += [answer(client, "get", url), answer(client, "post", url)]
    if got != expected:
        wrong = [
            f"{persona} {method}: expected {want}, got {have}"
            for (persona, method), want, have in zip(
                [(persona, method) for persona in PERSONAS for method in ("GET", "POST")], expected, got, strict=True
            )
            if want != have
        ]
        pytest.fail(f"{name} ({url}):\n  " + "\n  ".join(wrong))
