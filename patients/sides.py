"""The one vocabulary of sides both apps use. Pure constants (no ORM).

Here in ``patients`` because ``planner`` may import ``patients`` and never the other way round: the
planner's injection rows, rules table and rule engine (suggest, safety) all read these, and so may the
patients app. The values are what the database stores: changing one changes the meaning of saved rows.
"""

from enum import StrEnum


class Side(StrEnum):
    """The body side of an injection (the patient's left or right)."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def opposite(self):
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


class RelativeSide(StrEnum):
    """A muscle's side relative to the direction of a posture (the side the face turns to, or the head
    tilts or shifts to): a rule's side, or a component's side within a combined pattern."""

    IPSILATERAL = "ipsilateral"
    CONTRALATERAL = "contralateral"
    BILATERAL = "bilateral"
    # Sources disagree on the side: the clinician decides, nothing suggests a side automatically.
    UNRESOLVED = "unresolved"


BOTH_SIDES = frozenset(Side)  # equal to {"left", "right"}: the members are their values
SIDE_CHOICES = [(Side.LEFT.value, "left"), (Side.RIGHT.value, "right")]
RELATIVE_SIDE_CHOICES = [
    (RelativeSide.IPSILATERAL.value, "ipsilateral"),
    (RelativeSide.CONTRALATERAL.value, "contralateral"),
    (RelativeSide.BILATERAL.value, "bilateral"),
    (RelativeSide.UNRESOLVED.value, "unresolved (sources conflict)"),
]
