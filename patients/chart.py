"""Extension points for the patient chart: a line per visit, and whole sections (see the end).

Other apps add a line per visit without this app importing them (patients never imports
planner). A provider is a callable taking the list of visits shown on one page and returning
{visit_id: html}; the chart calls each provider once per page, so a provider can load what it
needs for all visits in one query. The HTML is inserted as is: render it from a template
(render_to_string) so that every value is escaped.

    # planner/apps.py
    def ready(self):
        from patients.chart import register_visit_summary_provider
        register_visit_summary_provider(signed_sessions_by_visit)
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import conditional_escape

VisitSummaryProvider = Callable[[Sequence], Mapping[int, str]]


def fragment_key(name, shown):
    """The cache key of a rendered fragment: its name ("patients:visit-card") and a digest of ``shown``, plain
    data holding everything the fragment shows, so that any change to it is a new key rather than a stale
    fragment. ASCII letters, digits and colons, well under 200 characters: safe for every cache backend."""
    return f"{name}:{hashlib.sha256(repr(shown).encode()).hexdigest()}"


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
                # conditional_escape keeps SafeString (rendered templates) and escapes plain str.
                summaries[visit_id].append(conditional_escape(html))
    return summaries


# --- Chart sections ----------------------------------------------------------------------------
#
# A whole section of the chart from another app (the planner's outcome trends and treatment
# history). A provider is called once per chart page as provider(user=..., patient=..., records=...)
# with the VisitRecords the chart already loaded (patients.selectors), and returns a ChartSection or
# None (nothing to show, or not for this user: the provider checks its own permissions). The chart
# renders each section under its own h2 in registration order.


@dataclass(frozen=True)
class ChartSection:
    key: str  # a slug, unique on the page: the section's id is "section-<key>"
    title: str
    html: str  # rendered from a template; plain str is escaped
    stylesheets: tuple = ()  # static paths of CSS files the section needs ("css/outcomes.css")
    placement: str = ""  # "top": shown first, above the patient's details (conditions and medicines)


ChartSectionProvider = Callable[..., ChartSection | None]

_section_providers: list = []


def register_chart_section_provider(provider: ChartSectionProvider):
    """Add a section provider (once; registering the same callable again changes nothing). Returns it."""
    if provider not in _section_providers:
        _section_providers.append(provider)
    return provider


def unregister_chart_section_provider(provider: ChartSectionProvider):
    if provider in _section_providers:
        _section_providers.remove(provider)


def chart_section_providers():
    return tuple(_section_providers)


def chart_sections(*, user, patient, records):
    """The sections every registered provider gives for this chart, in registration order (each says its
    placement: the chart shows the "top" ones first, the others below the patient's details)."""
    sections = []
    for provider in _section_providers:
        section = provider(user=user, patient=patient, records=records)
        if section is not None:
            sections.append(
                ChartSection(
                    section.key,
                    section.title,
                    conditional_escape(section.html),
                    tuple(section.stylesheets),
                    section.placement,
                )
            )
    return sections


# --- What else the chart shows -----------------------------------------------------------------
#
# The chart is kept rendered (patients.views.patient_chart) under the patient's revision, the day, the
# user's permissions and a token from each registered version source: data of other apps that the
# sections show and that is not the patient's (the planner's reference data: product and muscle names,
# the non-response policy). A source returns a short string that changes whenever that data does, or
# None when it cannot say (an uncommitted change in the open transaction): the chart is then built afresh.

ChartVersionSource = Callable[[], str | None]

_version_sources: list = []


def register_chart_version_source(source: ChartVersionSource):
    """Add a version source (once; registering the same callable again changes nothing). Returns it."""
    if source not in _version_sources:
        _version_sources.append(source)
    return source


def chart_versions():
    """Each registered source's token, in registration order; None if any source cannot say."""
    tokens = tuple(source() for source in _version_sources)
    return None if None in tokens else tokens
