from django.db import migrations, models


def create_the_row(apps, schema_editor):
    apps.get_model("planner", "ReferenceVersion").objects.get_or_create(pk=1, defaults={"value": 1})


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0008_data_integrity"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.PositiveBigIntegerField(default=0, verbose_name="version")),
            ],
            options={
                "verbose_name": "reference data version",
            },
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
