"""The audit trail: append-only, hash-chained, and readable by auditors only."""

import hashlib
import importlib
import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from patients.audit import chain
from patients.audit.models import AuditChainHead, AuditEvent
from patients.audit.services import audit_record, verify_chain
from planner.access import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_trail():
    """No entries yet, as on a new installation. (The suite's database holds the role grants that sync_roles
    wrote when it was set up; the test's transaction puts them back.)"""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table}")  # noqa: S608 - a table name from the model
    AuditChainHead.objects.filter(pk=1).update(last_hash=chain.GENESIS_HASH)


def test_a_sign_in_is_audited_with_the_address(client, nurse):
    client.post(
        reverse("login"),
        {"username": nurse.username, "password": "correct-horse-battery-staple"},
        REMOTE_ADDR="10.1.2.3",
    )
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).get()
    assert event.actor == nurse
    assert event.ip_address == "10.1.2.3"


def test_a_failed_sign_in_is_audited_with_the_username_tried(client, nurse):
    client.post(reverse("login"), {"username": nurse.username, "password": "wrong"})
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).get()
    assert event.changes == {"username": nurse.username}


def test_giving_and_taking_a_role_is_audited(nurse):
    nurse.groups.add(Group.objects.get(name=roles.NEUROLOGIST))
    nurse.groups.remove(Group.objects.get(name=roles.NURSE))
    changes = [e.changes for e in AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE).order_by("id")]
    assert {"added": [roles.NEUROLOGIST], "roles_now": [roles.NEUROLOGIST, roles.NURSE]} in changes
    assert {"removed": [roles.NURSE], "roles_now": [roles.NEUROLOGIST]} in changes


def test_making_someone_a_superuser_is_audited(nurse):
    nurse.is_superuser = True
    nurse.save()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE).latest("id")
    assert event.changes == {"is_superuser": [False, True]}


def test_entries_cannot_be_changed_or_deleted_through_the_app(nurse):
    event = audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart")
    event.reason = "tampered"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()


def test_the_chain_verifies_when_nobody_tampered(nurse, capsys):
    for n in range(5):
        audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {n}", patient_id=n + 1)
    call_command("verify_audit_log")
    assert "Audit log intact" in capsys.readouterr().out


def test_verify_names_the_row_edited_directly_in_the_database(nurse):
    events = [audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {n}") for n in range(5)]
    # Behind the app's back: a queryset update skips save() and its guard.
    AuditEvent.objects.filter(pk=events[2].pk).update(actor_username="someone-else")
    checked, broken, why = verify_chain()
    assert broken.pk == events[2].pk
    assert "edited" in why
    with pytest.raises(CommandError, match=f"entry #{events[2].pk}"):
        call_command("verify_audit_log")


def test_verify_notices_a_deleted_row(nurse):
    events = [audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {n}") for n in range(4)]
    AuditEvent.objects.filter(pk=events[1].pk)._raw_delete(AuditEvent.objects.db)
    _, broken, why = verify_chain()
    assert broken.pk == events[2].pk
    assert "removed or inserted" in why


def test_verify_notices_the_newest_rows_were_removed(nurse):
    events = [audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {n}") for n in range(3)]
    AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(AuditEvent.objects.db)
    _, broken, why = verify_chain()
    assert broken is None
    assert "missing" in why


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("no_role", 403),
        ("nurse", 403),
        ("neurologist", 403),
        ("reference_admin", 200),
        ("privacy_officer", 200),
    ],
)
def test_only_auditors_read_the_report(client_for, persona, status):
    client = client_for(persona)
    assert client.get(reverse("audit:report")).status_code == status
    assert client.get(reverse("audit:report_csv")).status_code == status


def test_the_report_filters_by_user_patient_action_and_date(client_for):
    client = client_for("privacy_officer")
    nurse = make_user(roles.NURSE, username="nurse.filter")
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart of 7", patient_id=7)
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart of 8", patient_id=8)
    response = client.get(reverse("audit:report"), {"user": "nurse.filter", "patient": 7, "action": "view"})
    page = response.context["page"]
    assert [event.object_repr for event in page] == ["chart of 7"]


def test_a_reversed_date_range_gets_a_message_at_the_field(client_for):
    response = client_for("reference_admin").get(
        reverse("audit:report"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert "The end date is before the start date." in response.content.decode()


def test_the_csv_export_has_the_entries_and_is_itself_audited(client_for):
    client = client_for("privacy_officer")
    nurse = make_user(roles.NURSE, username="nurse.csv")
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart of 9", patient_id=9)
    response = client.get(reverse("audit:report_csv"), {"patient": 9})
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,occurred_at,actor_username")
    assert len(lines) == 2 and "chart of 9" in lines[1]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_report_page_query_count_does_not_grow_with_the_entries(client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("privacy_officer")
    nurse = make_user(roles.NURSE, username="nurse.many")
    audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr="chart 0", patient_id=1)
    with CaptureQueriesContext(connection) as with_one_entry:
        client.get(reverse("audit:report"))
    for n in range(60):
        audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {n}", patient_id=n)
    with django_assert_max_num_queries(len(with_one_entry)):
        assert client.get(reverse("audit:report")).status_code == 200


def forge_the_chain_from(first_event, seal):
    """What someone with database access but not the key does: re-seal every entry from
    ``first_event`` on with ``seal(event, previous_hash)`` and point the head at the last one."""
    previous_hash = AuditEvent.objects.filter(id__lt=first_event.pk).order_by("id").last().hash
    for event in AuditEvent.objects.filter(id__gte=first_event.pk).order_by("id"):
        new_hash = seal(event, previous_hash)
        AuditEvent.objects.filter(pk=event.pk).update(previous_hash=previous_hash, hash=new_hash)
        previous_hash = new_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous_hash)


def plain_sha256(event, previous_hash):
    payload = json.dumps(chain.content(event), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}|{payload}".encode()).hexdigest()


@pytest.mark.parametrize(
    "seal",
    [plain_sha256, lambda event, previous_hash: chain.seal(event, previous_hash, "a-guessed-key")],
    ids=["plain-sha256", "wrong-key"],
)
def test_audit_forgery_without_key_is_detected(nurse, seal):
    events = [audit_record(action=AuditEvent.Action.VIEW, actor=nurse, object_repr=f"chart {n}") for n in range(5)]
    AuditEvent.objects.filter(pk=events[1].pk)._raw_delete(AuditEvent.objects.db)
    AuditEvent.objects.filter(pk=events[2].pk).update(actor_username="someone-else")
    forge_the_chain_from(events[2], seal)

    _, broken, why = verify_chain()

    assert broken.pk == events[2].pk
    assert "edited" in why
    with pytest.raises(CommandError, match=f"entry #{events[2].pk}"):
        call_command("verify_audit_log")


@pytest.mark.usefixtures("new_trail")
def test_entries_sealed_under_an_old_key_verify_while_it_is_listed(settings):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = "the-old-key", []
    before = [audit_record(action=AuditEvent.Action.VIEW, object_repr=f"old {n}") for n in range(2)]
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_OLD_KEYS = "the-new-key", ["the-old-key"]
    after = audit_record(action=AuditEvent.Action.VIEW, object_repr="new")

    assert {event.key_id for event in before} == {chain.key_id("the-old-key")}
    assert after.key_id == chain.key_id("the-new-key")
    assert verify_chain() == (3, None, "")

    settings.AUDIT_HMAC_OLD_KEYS = []
    _, broken, why = verify_chain()
    assert broken.pk == before[0].pk
    assert "AUDIT_HMAC_OLD_KEYS" in why


def test_the_key_id_names_the_key_without_revealing_it():
    assert chain.key_id("secret") == hashlib.sha256(b"secret").hexdigest()[:8]
    assert "secret" not in chain.key_id("secret")


def test_production_settings_refuse_to_start_without_the_audit_key():
    environment = {**os.environ, "DEBUG": "false", "SECRET_KEY": "x" * 50}
    environment.pop("AUDIT_HMAC_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "planner.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: AUDIT_HMAC_KEY is not set" in result.stderr


def unkeyed_chain(events):
    """The entries as the release before the key left them: plain SHA-256 links, no key id."""
    previous_hash = chain.GENESIS_HASH
    for event in AuditEvent.objects.filter(pk__in=[event.pk for event in events]).order_by("id"):
        new_hash = plain_sha256(event, previous_hash)
        AuditEvent.objects.filter(pk=event.pk).update(previous_hash=previous_hash, hash=new_hash, key_id="")
        previous_hash = new_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous_hash)


def run_keyed_chain_migration():
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("patients.audit.migrations.0002_keyed_chain")
    # The models as that migration saw them, read from the migration files even when the test database
    # was built from the models (`make test` on SQLite runs with --no-migrations).
    with override_settings(MIGRATION_MODULES={}):
        state = MigrationLoader(None, ignore_no_migrations=True).project_state(("audit", "0002_keyed_chain"))
    migration.reseal(state.apps, None)


@pytest.mark.usefixtures("new_trail")
def test_the_keyed_chain_migration_reseals_the_existing_entries_with_the_current_key():
    events = [audit_record(action=AuditEvent.Action.VIEW, object_repr=f"chart {n}") for n in range(4)]
    unkeyed_chain(events)
    assert verify_chain()[1] is not None  # plain SHA-256 no longer verifies

    run_keyed_chain_migration()

    assert verify_chain() == (4, None, "")
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {chain.key_id(chain.current_key())}


@pytest.mark.usefixtures("new_trail")
def test_the_keyed_chain_migration_refuses_to_reseal_a_broken_chain():
    events = [audit_record(action=AuditEvent.Action.VIEW, object_repr=f"chart {n}") for n in range(3)]
    unkeyed_chain(events)
    AuditEvent.objects.filter(pk=events[1].pk).update(reason="tampered")

    with pytest.raises(RuntimeError, match=f"broken at entry #{events[1].pk}"):
        run_keyed_chain_migration()
