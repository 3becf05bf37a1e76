"""Renders the sections other apps register in patients.chart (the chart never imports them)."""

from django import template

from patients.chart import chart_sections as registered_sections

register = template.Library()


@register.inclusion_tag("patients/includes/chart_sections.html", takes_context=True)
def chart_sections(context, chart, placement=""):
    """Every registered section for this chart, the signed-in user and ``placement``, each under its own h2."""
    user = context["request"].user
    return {
        "sections": registered_sections(user=user, patient=chart.patient, records=chart.records, placement=placement)
    }
