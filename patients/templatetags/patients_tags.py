from urllib.parse import urlsplit

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


@register.filter
def web_address(value):
    """The address when it is an http or https URL, else "": a stored URL may say javascript: or data:."""
    address = str(value or "").strip()
    try:
        scheme = urlsplit(address).scheme
    except ValueError:  # a malformed address, such as an unclosed "[" host
        return ""
    return address if scheme.lower() in ("http", "https") else ""
