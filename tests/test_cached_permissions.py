"""Each user's permissions and roles are a cache read under the role version (planner.access.backends): every way
access can change is a role change on the audit trail, and applies on the next request."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from patients.audit.models import AuditEvent
from patients.audit.selectors import role_version
from planner.access import roles
from planner.access.backends import roles_of
from tests.factories import make_user
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db

VIEW_PATIENT = ("patients", "view_patient")


def view_patient():
    return Permission.objects.get(content_type__app_label=VIEW_PATIENT[0], codename=VIEW_PATIENT[1])


def chart_status(client, patient):
    return client.get(reverse("patients:patient_chart", args=[patient.pk])).status_code


def role_changes():
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGE).order_by("id"))


def remove_role_from_the_users_side(user, nurses):
    user.groups.remove(nurses)


def remove_user_from_the_roles_side(user, nurses):
    nurses.user_set.remove(user)


def clear_the_roles_members(user, nurses):
    nurses.user_set.clear()


def take_the_permission_from_the_role(user, nurses):
    nurses.permissions.remove(view_patient())


def take_the_role_from_the_permissions_side(user, nurses):
    view_patient().group_set.remove(nurses)


@pytest.mark.parametrize(
    "revoke",
    [
        remove_role_from_the_users_side,
        remove_user_from_the_roles_side,
        clear_the_roles_members,
        take_the_permission_from_the_role,
        take_the_role_from_the_permissions_side,
    ],
)
def test_access_taken_away_applies_on_the_next_request_and_is_on_the_trail(client, revoke):
    patient = PatientFactory()
    nurse = make_user(roles.NURSE)
    client.force_login(nurse)
    assert chart_status(client, patient) == 200
    assert chart_status(client, patient) == 200  # from the cache, this time
    before = role_version()

    revoke(nurse, Group.objects.get(name=roles.NURSE))

    assert chart_status(client, patient) == 403
    assert role_version() > before
    assert role_changes()[-1].actor_username == ""  # made outside a request: by the system


def test_a_permission_given_to_a_user_directly_applies_on_the_next_request(client):
    patient = PatientFactory()
    reader = make_user(None)
    client.force_login(reader)
    assert chart_status(client, patient) == 403

    reader.user_permissions.add(view_patient())

    assert chart_status(client, patient) == 200
    entry = role_changes()[-1]
    assert entry.object_type == "auth.user" and entry.object_id == str(reader.pk)
    assert entry.changes == {"added": [str(view_patient())]}


def test_a_superuser_flag_set_behind_the_apps_back_still_applies(client):
    """An UPDATE leaves no audit entry, but the flag is on the user row read on every request."""
    patient = PatientFactory()
    user = make_user(None)
    client.force_login(user)
    assert chart_status(client, patient) == 403
    type(user).objects.filter(pk=user.pk).update(is_superuser=True)
    assert chart_status(client, patient) == 200
    type(user).objects.filter(pk=user.pk).update(is_superuser=False)
    assert chart_status(client, patient) == 403


def test_each_user_gets_their_own_permissions_and_roles(client):
    patient = PatientFactory()
    nurse, reference_admin = make_user(roles.NURSE), make_user(roles.REFERENCE_ADMIN)
    for _ in range(2):
        client.force_login(nurse)
        assert chart_status(client, patient) == 200
        assert roles_of(nurse) == (roles.NURSE,)
        client.force_login(reference_admin)
        assert chart_status(client, patient) == 403
        assert roles_of(reference_admin) == (roles.REFERENCE_ADMIN,)


class RoleBadges(HTMLParser):
    """The badges beside the signed-in user's name (#signed-in-as), as a person reads them."""

    def __init__(self, page):
        super().__init__()
        self.depth, self.in_badge, self.badges = 0, False, []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth or attrs.get("id") == "signed-in-as":
            self.depth += 1
            self.in_badge = "badge" in (attrs.get("class") or "").split()

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            self.in_badge = False

    def handle_data(self, data):
        if self.in_badge:
            self.badges.append(data.strip())


def role_badges(client):
    return RoleBadges(client.get(reverse("home")).content.decode()).badges


def test_the_role_badges_follow_a_role_change(client):
    nurse = make_user(roles.NURSE)
    client.force_login(nurse)
    assert role_badges(client) == [roles.NURSE]
    nurse.groups.add(Group.objects.get(name=roles.NEUROLOGIST))
    assert sorted(role_badges(client)) == sorted([roles.NEUROLOGIST, roles.NURSE])


def test_a_user_added_from_the_roles_side_is_named_on_the_roles_entry():
    nurse = make_user(None, username="new.nurse")
    nurses = Group.objects.get(name=roles.NURSE)
    nurses.user_set.add(nurse)
    entry = role_changes()[-1]
    assert (entry.object_type, entry.object_repr, entry.changes) == (
        "auth.group",
        roles.NURSE,
        {"added": ["new.nurse"]},
    )


def test_granting_what_a_role_already_has_leaves_no_entry():
    """sync_roles adds every role's permissions after every migrate; only a real change is on the trail."""
    before = role_changes()
    roles.sync_roles(sender=None)
    assert role_changes() == before
