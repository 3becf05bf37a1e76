"""The chart's repeated parts: the sections other apps register in patients.chart (the chart never imports
them), and the card per visit."""

from django import template
from django.core.cache import cache
from django.template.loader import get_template

register = template.Library()


@register.inclusion_tag("patients/includes/chart_sections.html")
def chart_sections(sections, placement=""):
    """The chart's sections (patients.chart.chart_sections) with this placement, each under its own h2: the
    chart shows the "top" ones first, the rest below the patient's details."""
    return {"sections": [section for section in sections if section.placement == placement]}


VISIT_CARD = "patients/patient_detail.html#visit-card"
VISIT_CARD_SECONDS = 24 * 60 * 60


@register.simple_tag
def visit_cards(records):
    """The card of each visit (``VISIT_CARD``), in order: read from Django's cache in one request, under a
    digest of what each shows (patients.selectors.card_key), and rendered (autoescaped) only where missing."""
    keys = [record.card_key for record in records]
    kept = cache.get_many(keys)
    rendered = {}
    card = get_template(VISIT_CARD)
    for key, record in zip(keys, records, strict=True):
        if key not in kept and key not in rendered:
            rendered[key] = card.render({"record": record})  # a SafeString, which the cache keeps as one
    if rendered:
        cache.set_many(rendered, timeout=VISIT_CARD_SECONDS)
    return [kept.get(key) or rendered[key] for key in keys]
