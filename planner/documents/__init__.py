"""Pictures and printables: the neck diagram, the chart's trend charts and plan lines, the handout."""
