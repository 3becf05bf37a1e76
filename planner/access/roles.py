"""The clinic's roles, as Django groups, and the permissions each one holds.

Views never check group names: they check permissions, so a user may hold several roles
and an administrator may grant a single permission without inventing a role. The group
names live here so that the demo users, the tests and the migrations agree.

ROLE_PERMISSIONS is the whole current definition. The first data migration creates the
groups; after every `migrate` (and after the test runner flushes a database) `sync_roles`
grants whatever this table lists, so a permission for a new model only needs a line here.
It only adds: a permission an administrator granted by hand is never taken away.
"""

NEUROLOGIST = "Neurologist"
NURSE = "Nurse"
REFERENCE_ADMIN = "Reference admin"
# Reads the whole audit trail, the entries about patients included. No demo user holds it: a clinic
# gives it to its auditor or privacy officer by hand (admin, Users, Groups).
PRIVACY_OFFICER = "Privacy officer"

ALL_ROLES = (NEUROLOGIST, NURSE, REFERENCE_ADMIN, PRIVACY_OFFICER)

# Recording patients, visits, assessments, scales and side effects (patients app).
CLINICAL_RECORDING = [
    f"patients.{action}_{model}"
    for model in (
        "patient",
        "visit",
        "postureassessment",
        "twstrsassessment",
        "tsuiassessment",
        "visitoutcome",
        "adverseevent",
        "cycleresponse",
    )
    for action in ("view", "add", "change")
] + [  # conditions, medicines and toxin given elsewhere (issue 14)
    f"planner.{action}_{model}"
    for model in ("patientcondition", "outsidetoxindose")
    for action in ("view", "add", "change")
]  # noqa: E501
# Reading the reference tables (patterns, rules, products, doses) without changing them.
REFERENCE_READING = [
    f"planner.view_{model}"
    for model in (
        "source",
        "muscle",
        "posturepattern",
        "patterncomponent",
        "suggestionrule",
        "product",
        "productlimit",
        "doseguideline",
        "diluentvolume",
        "caution",
        "policysetting",
        "billingcode",
        "vialprice",
        "handouttext",
        "responsepolicy",
        "conditioncode",
        "posturecontradiction",
    )
]  # noqa: E501
# Curating the reference tables.
REFERENCE_CURATION = [
    f"planner.{action}_{model}"
    for model in (
        "source",
        "muscle",
        "posturepattern",
        "patterncomponent",
        "suggestionrule",
        "product",
        "productlimit",
        "doseguideline",
        "diluentvolume",
        "caution",
        "policysetting",
        "billingcode",
        "vialprice",
        "handouttext",
        "responsepolicy",
        "conditioncode",
        "posturecontradiction",
    )
    for action in ("add", "change")
]  # noqa: E501
# Building, signing and amending injection plans, and preparing the toxin.
PLANNING = [
    "planner.view_injectionsession",
    "planner.plan_injectionsession",
    "planner.sign_injectionsession",
    "planner.amend_injectionsession",
]
TOXIN_PREPARATION = ["planner.view_injectionsession", "planner.prepare_injectionsession"]
# Reading the audit report (ONC 170.315(d)(3)); reference admins hold it by default, and see with it only
# the entries about no patient (reference data, sign-ins, roles): patients.audit.selectors.
AUDITING = ["audit.view_audit_report"]
# Reading the audit entries about patients too: they quote clinical records, so they need a permission of
# their own, held by no clinical or reference role.
CLINICAL_AUDITING = [*AUDITING, "audit.view_clinical_audit"]

ROLE_PERMISSIONS = {
    NEUROLOGIST: [*CLINICAL_RECORDING, *REFERENCE_READING, *PLANNING, *TOXIN_PREPARATION],
    NURSE: [*CLINICAL_RECORDING, *REFERENCE_READING, *TOXIN_PREPARATION],
    REFERENCE_ADMIN: ["auth.view_user", "auth.view_group", *REFERENCE_READING, *REFERENCE_CURATION, *AUDITING],
    PRIVACY_OFFICER: [*CLINICAL_AUDITING],
}


def grant_permissions(apps, role_permissions):
    """Create the groups named in ``role_permissions`` and give each its permissions.

    ``role_permissions`` maps a group name to "app_label.codename" strings. ``apps`` is a
    migration's historical registry or the live one; running it twice changes nothing.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after *all* migrations ran (post_migrate);
    # a data migration that grants them has to create them first.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def sync_roles(sender, using="default", **kwargs):
    """post_migrate handler for the planner app, the last app installed, so every permission exists."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = [tuple(name.split(".")) for name in names]
        permissions = [
            permission
            for permission in Permission.objects.using(using).select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        missing = set(wanted) - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            raise RuntimeError(f"ROLE_PERMISSIONS names permissions that do not exist: {sorted(missing)}")
        group.permissions.add(*permissions)
