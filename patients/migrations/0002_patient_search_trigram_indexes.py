"""Trigram indexes for the patient search on PostgreSQL.

The search matches every word anywhere in ``search_key`` (``LIKE '%word%'``) or the MRN by prefix;
a B-tree serves neither (a leading wildcard, and a non-C collation), so at clinic scale both were
sequential scans. pg_trgm's GIN indexes serve both, and the planner combines them (BitmapOr).
SQLite has no such index and needs none at the sizes it is used for: nothing happens there.
pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
"""

from django.db import migrations

INDEXES = {
    "patient_search_key_trgm": "search_key",
    "patient_mrn_trgm": "mrn",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_patients_visits_scales")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
