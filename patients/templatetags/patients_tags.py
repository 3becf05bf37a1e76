from django import template

from patients.scoring import format_score

register = template.Library()


@register.filter
def score(value):
    """A computed score without trailing zeros: 42, 42.5, 42.25."""
    return format_score(value)


@register.inclusion_tag("patients/includes/twstrs_trend.html")
def twstrs_trend(chart, title_id="twstrs-trend"):
    """The chart's TWSTRS trend as inline SVG, with a <title>, a <desc> and a text alternative."""
    return {"chart": chart, "title_id": title_id}
