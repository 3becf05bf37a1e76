"""The injection plan of each visit, as one line on the patient's chart and visit page.

Registered with patients.chart (patients never imports planner). The sessions are loaded onto the
visits once (planner.history.visit_sessions), and the chart's outcomes section reuses them.
The line is built in Python rather than with a template per visit: a chart shows forty of them. The
signed line, on nearly every visit, is an f-string rather than format_html (whose per-argument
lazy-string checks cost more than the rest): every text value in it goes through escape(), the standard
library's html.escape that django.utils.html.escape applies.
"""

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from planner.history import session_doses, visit_sessions

_PK = 987654321  # stands for the id in a reversed URL: reverse once, then substitute each id


def _url_maker(name):
    template = reverse(name, args=[_PK])
    return lambda pk: template.replace(str(_PK), str(pk))


def _dose_number(dose):
    """What the template filter floatformat:"-2" shows, without its cost: 25, 12.50 (two decimals if any)."""
    if dose is None:
        return ""
    if dose == dose.to_integral_value():
        return str(int(dose))
    return str(dose.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _signed(session, editor_url):
    rows = ", ".join(
        f"{dose.side[:1].upper()} {dose.muscle_name.lower()} {_dose_number(dose.dose)}"
        for dose in session_doses(session)
    )
    amended = " · amended" if session.amends_id else ""
    product = session.product
    return mark_safe(  # noqa: S308 — every text value and the URL are escaped
        f"<strong>Injected:</strong> {escape(product.brand_name)} {escape(rows)} ({escape(product.units_label)})"
        f'{amended} · <a href="{escape(editor_url(session.pk))}">signed record</a>'
    )


def plan_summaries(visits):
    """{visit_id: html}: the current signed record, or the draft, or a link to start a plan."""
    by_visit = visit_sessions(visits)
    editor_url = _url_maker("plans:editor")
    plan_url = _url_maker("plans:for_visit")
    summaries = {}
    for visit in visits:
        sessions = by_visit[visit.pk]
        # Amendments come after what they amend: the last one is the newest version.
        session = sessions[-1] if sessions else None
        if session is not None and session.is_signed:
            line = _signed(session, editor_url)
        elif session is not None:
            product = format_html(" ({})", session.product.brand_name) if session.product else ""
            line = format_html(
                '<strong>Injection plan:</strong> draft{} · <a href="{}">open the plan</a>',
                product,
                editor_url(session.pk),
            )
        elif visit.is_open:
            line = format_html(
                '<strong>Injection plan:</strong> none yet · <a href="{}">plan injections</a>', plan_url(visit.pk)
            )
        else:
            line = mark_safe("")
        summaries[visit.pk] = mark_safe(f'<span class="visit-plan">{line}</span>')  # noqa: S308 — line is format_html or escaped markup
    return summaries
