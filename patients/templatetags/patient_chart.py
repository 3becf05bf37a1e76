"""The chart's repeated parts: the sections other apps register in patients.chart (the chart never imports
them), and the card per visit."""

from django import template
from django.core.cache import cache
from django.template.loader import get_template

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
