from django.db import migrations

from planner.roles import grant_permissions

# Frozen as of this migration; planner.roles.ROLE_PERMISSIONS grows with later models.
ROLE_PERMISSIONS = {
    "Neurologist": [],
    "Nurse": [],
    "Reference admin": ["auth.view_user", "auth.view_group"],
}


def create_roles(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
