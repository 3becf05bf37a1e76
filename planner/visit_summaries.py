"""The injection plan of each visit, as one line on the patient's chart and visit page.

Registered with patients.chart (patients never imports planner). One query for all the visits shown.
"""

from django.db.models import Prefetch
from django.template.loader import render_to_string

from planner.models import Injection, InjectionSession


def plan_summaries(visits):
    """{visit_id: html}: the current signed record, or the draft, or a link to start a plan."""
    sessions = (
        InjectionSession.objects.filter(visit__in=[visit.pk for visit in visits])
        .select_related("product", "signed_by")
        .prefetch_related(Prefetch("injections", queryset=Injection.objects.select_related("muscle")))
        .order_by("visit_id", "id")
    )
    newest_by_visit = {}
    for session in sessions:
        # Amendments come after what they amend: the last one per visit is the newest version.
        newest_by_visit[session.visit_id] = session
    summaries = {}
    for visit in visits:
        session = newest_by_visit.get(visit.pk)
        summaries[visit.pk] = render_to_string(
            "planner/includes/visit_plan_summary.html", {"visit": visit, "session": session}
        )
    return summaries
