from django.db import migrations

# Frozen as of this migration: planner.access.roles.ROLE_PERMISSIONS grows with later models, and its
# post_migrate handler (planner.access.roles.sync_roles) grants the rest. Nothing here imports app code, so
# what this migration does cannot change when the app does.
ROLE_PERMISSIONS = {
    "Neurologist": [],
    "Nurse": [],
    "Reference admin": ["auth.view_user", "auth.view_group"],
}


def create_roles(apps, schema_editor):
    """Create the groups and give each its permissions; running it twice changes nothing."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after *all* migrations ran (post_migrate); a data migration
    # that grants them has to create them first.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
