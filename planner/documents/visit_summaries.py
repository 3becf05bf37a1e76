"""The injection plan of each visit, as one line on the patient's chart and visit page.

Registered with patients.chart (patients never imports planner). The sessions are loaded onto the
visits once (planner.plans.history.visit_sessions), and the chart's outcomes section reuses them.
A chart shows forty lines: each is rendered by templates/planner/includes/visit_plan.html#plan-line
and kept in Django's cache under a digest of what it shows, so an unchanged line is one cache read.
"""

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from patients.chart import fragment_key
from planner.plans.history import session_doses, visit_sessions

PLAN_LINE = "planner/includes/visit_plan.html#plan-line"
PLAN_LINE_SECONDS = 24 * 60 * 60
_PK = 987654321  # stands for the id in a reversed URL: reverse once, then substitute each id


def _url_maker(name):
    template = reverse(name, args=[_PK])
    return lambda pk: template.replace(str(_PK), str(pk))


def _line_context(visit, sessions, editor_url, plan_url):
    # Amendments come after what they amend: the last one is the newest version.
    session = sessions[-1] if sessions else None
    if session is not None and session.is_signed:
        return {
            "state": "signed",
            "brand_name": session.product.brand_name,
            "doses": tuple((dose.muscle_name, dose.side, dose.dose) for dose in session_doses(session)),
            "units_label": session.product.units_label,
            "amended": bool(session.amends_id),
            "url": editor_url(session.pk),
        }
    if session is not None:
        brand_name = session.product.brand_name if session.product else ""
        return {"state": "draft", "brand_name": brand_name, "url": editor_url(session.pk)}
    if visit.is_open:
        return {"state": "none", "url": plan_url(visit.pk)}
    return {"state": ""}


def plan_summaries(visits):
    """{visit_id: html}: the current signed record, or the draft, or a link to start a plan."""
    by_visit = visit_sessions(visits)
    editor_url = _url_maker("plans:editor")
    plan_url = _url_maker("plans:for_visit")
    contexts = {visit.pk: _line_context(visit, by_visit[visit.pk], editor_url, plan_url) for visit in visits}
    keys = {
        visit_id: fragment_key("planner:plan-line", sorted(context.items())) for visit_id, context in contexts.items()
    }
    # Rendered by an autoescaping template: the cache keeps the SafeString it returned.
    kept = cache.get_many(set(keys.values()))
    rendered = {}
    for visit_id, key in keys.items():
        if key not in kept and key not in rendered:
            rendered[key] = render_to_string(PLAN_LINE, contexts[visit_id])
    if rendered:
        cache.set_many(rendered, timeout=PLAN_LINE_SECONDS)
    return {visit_id: kept.get(key) or rendered[key] for visit_id, key in keys.items()}
