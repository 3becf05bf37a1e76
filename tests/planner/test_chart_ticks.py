"""The dose and outcome charts' time axis: the newest date's label is not cut at the right edge."""

from planner.charts import RIGHT_PAD, WIDTH, _ticks_svg


def test_a_tick_label_at_the_right_edge_ends_at_its_tick_and_the_others_are_centred():
    svg = _ticks_svg([(300, "Jan 2026"), (WIDTH - RIGHT_PAD, "Dec 2026")], 100)
    first, last = svg.split("</text>")[:2]
    assert 'text-anchor="middle">Jan 2026' in first
    assert 'text-anchor="end">Dec 2026' in last
