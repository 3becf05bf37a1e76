"""The plan's treatment history shows toxin given elsewhere (issue 14), from one query."""

from django import template

from planner.plans.selectors import outside_doses_up_to_visit

register = template.Library()


@register.inclusion_tag("planner/conditions/outside_doses.html")
def outside_doses_for_plan(session):
    """Active doses given elsewhere up to the plan's visit, newest first, each in its own product's units."""
    return {"doses": outside_doses_up_to_visit(session), "session": session}
