"""Extension point for the patient chart's visit timeline.

Other apps add a line per visit without this app importing them (patients never imports
planner). A provider is a callable taking the list of visits shown on one page and returning
{visit_id: html}; the chart calls each provider once per page, so a provider can load what it
needs for all visits in one query. The HTML is inserted as is: build it with format_html or a
template so that every value is escaped.

    # planner/apps.py
    def ready(self):
        from patients.chart import register_visit_summary_provider
        register_visit_summary_provider(signed_sessions_by_visit)
"""

from collections.abc import Callable, Mapping, Sequence

from django.utils.html import conditional_escape

VisitSummaryProvider = Callable[[Sequence], Mapping[int, str]]

_providers: list = []


def register_visit_summary_provider(provider: VisitSummaryProvider):
    """Add a provider (once; registering the same callable again changes nothing). Returns it."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_visit_summary_provider(provider: VisitSummaryProvider):
    if provider in _providers:
        _providers.remove(provider)


def visit_summary_providers():
    return tuple(_providers)


def visit_summaries(visits: Sequence):
    """{visit_id: [html, ...]} from every registered provider, in registration order."""
    summaries = {visit.pk: [] for visit in visits}
    if not visits:
        return summaries
    for provider in _providers:
        for visit_id, html in (provider(visits) or {}).items():
            if visit_id in summaries and html:
                # conditional_escape keeps SafeString (format_html, templates) and escapes plain str.
                summaries[visit_id].append(conditional_escape(html))
    return summaries
