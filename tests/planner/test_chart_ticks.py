"""The dose and outcome charts' time axis: the newest date's label is not cut at the right edge."""

from django.template.loader import render_to_string

from planner.documents.charts import RIGHT_PAD, WIDTH, axis_ticks


def test_a_tick_label_at_the_right_edge_ends_at_its_tick_and_the_others_are_centred():
    ticks = axis_ticks([(300, "Jan 2026"), (WIDTH - RIGHT_PAD, "Dec 2026")])
    svg = render_to_string("planner/includes/chart_ticks.svg.html", {"ticks": ticks, "axis_y": 100})
    first, last = svg.split("</text>")[:2]
    assert 'text-anchor="middle">Jan 2026' in first
    assert 'text-anchor="end">Dec 2026' in last
    assert 'y1="96" y2="100"' in first and 'y="112"' in first
