"""Indexes for the clinic worklist's visit queries (planner.clinic.worklist), on PostgreSQL and SQLite alike.

- ``visit_open_by_date``: the open visits (scheduled or in progress) in date order. Without it the
  worklist read all 100,000 visits of a large clinic to find the few thousand open ones.
- ``visit_by_date``: a day's visits (the worklist's "today" list); the existing index leads with
  the patient, so it cannot serve a date alone.

Plain SQL in both databases' common dialect (partial indexes included), so the models stay as they are.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS visit_open_by_date ON patients_visit (date, id) "
    "WHERE status IN ('scheduled', 'in_progress')",
    "CREATE INDEX IF NOT EXISTS visit_by_date ON patients_visit (date)",
]
DROP = ["DROP INDEX IF EXISTS visit_open_by_date", "DROP INDEX IF EXISTS visit_by_date"]


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_search_trigram_indexes")]

    operations = [migrations.RunSQL(CREATE, DROP, elidable=False)]
