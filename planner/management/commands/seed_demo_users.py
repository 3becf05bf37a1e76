from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from planner.access import roles

# Demo accounts for a local run. Their passwords are printed and therefore public:
# the command refuses to create them on a production configuration.
DEMO_USERS = [
    {
        "username": "neurologist",
        "first_name": "Nadia",
        "last_name": "Neuro",
        "role": roles.NEUROLOGIST,
        "password": "demo-neurologist-2026",
    },
    {
        "username": "nurse",
        "first_name": "Noel",
        "last_name": "Nurse",
        "role": roles.NURSE,
        "password": "demo-nurse-2026",
    },
    {
        "username": "refadmin",
        "first_name": "Rita",
        "last_name": "Reference",
        "role": roles.REFERENCE_ADMIN,
        "password": "demo-refadmin-2026",
    },
    {"username": "newstaff", "first_name": "Nico", "last_name": "New", "role": None, "password": "demo-newstaff-2026"},
]


class Command(BaseCommand):
    help = "Create or reset one demo user per role (and one without a role) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Create the demo users even though DEBUG is off. Never do this on a real clinic's server.",
        )

    @transaction.atomic
    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Demo users have public passwords; refusing because DEBUG is off. "
                "Pass --allow-production only for a throwaway demo server."
            )
        User = get_user_model()
        lines = []
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=spec["username"],
                defaults={"first_name": spec["first_name"], "last_name": spec["last_name"]},
            )
            # Reset the password every run so the printed logins always work.
            user.set_password(spec["password"])
            # Reference admins curate the reference tables in the admin site.
            user.is_staff = spec["role"] == roles.REFERENCE_ADMIN
            user.save()
            if spec["role"]:
                user.groups.set([Group.objects.get(name=spec["role"])])
            else:
                user.groups.clear()
            role = spec["role"] or "no role"
            lines.append(f"  {spec['username']:<12} {spec['password']:<24} {role}")
        self.stdout.write("Demo logins (username, password, role):")
        self.stdout.write("\n".join(lines))
