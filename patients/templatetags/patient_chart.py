"""Renders the sections other apps register in patients.chart (the chart never imports them)."""

from django import template

from patients.chart import chart_sections as registered_sections

register = template.Library()


@register.inclusion_tag("patients/includes/chart_sections.html", takes_context=True)
def chart_sections(context, chart, placement=""):
    """Every registered section for this chart, the signed-in user and ``placement``, each under its own h2.

    The chart asks twice (the top sections, then the rest): the providers run once per page.
    """
    request = context["request"]
    cache = request.__dict__.setdefault("_chart_sections", {})
    key = (chart.patient.pk, request.user.pk)
    if key not in cache:
        cache[key] = registered_sections(user=request.user, patient=chart.patient, records=chart.records)
    return {"sections": [section for section in cache[key] if section.placement == placement]}
