"""The Col-Cap vocabulary of head and neck postures in cervical dystonia.

Plain constants shared by the patients app (what a nurse records) and the planner app
(whose reference tables attach rules to these codes). The classification itself is fixed;
what admins curate is which muscles each component suggests, in planner's rules table.
Sources: Reichel 2011; Jost et al. 2020 (see planner's reference data set for citations).
"""

from dataclasses import dataclass
from enum import StrEnum


class Plane(StrEnum):
    ROTATION = "rotation"
    TILT = "tilt"
    FLEXION_EXTENSION = "flexion_extension"
    LATERAL_SHIFT = "lateral_shift"
    SAGITTAL_SHIFT = "sagittal_shift"
    SHOULDER = "shoulder"
    TREMOR = "tremor"


class Direction(StrEnum):
    """The side the face turns to, or the head tilts or shifts to; NONE for sagittal postures."""

    LEFT = "left"
    RIGHT = "right"
    NONE = ""


@dataclass(frozen=True)
class Component:
    code: str
    name: str
    plane: Plane
    lateral: bool  # takes a left/right direction; sagittal postures are bilateral and take none
    max_severity: int  # the TWSTRS severity item's range for this plane (tremor: Tsui's 1-2)


COMPONENTS = (
    Component("TORTICAPUT", "Torticaput", Plane.ROTATION, True, 4),
    Component("TORTICOLLIS", "Torticollis", Plane.ROTATION, True, 4),
    Component("LATEROCAPUT", "Laterocaput", Plane.TILT, True, 3),
    Component("LATEROCOLLIS", "Laterocollis", Plane.TILT, True, 3),
    Component("ANTEROCAPUT", "Anterocaput", Plane.FLEXION_EXTENSION, False, 3),
    Component("ANTEROCOLLIS", "Anterocollis", Plane.FLEXION_EXTENSION, False, 3),
    Component("RETROCAPUT", "Retrocaput", Plane.FLEXION_EXTENSION, False, 3),
    Component("RETROCOLLIS", "Retrocollis", Plane.FLEXION_EXTENSION, False, 3),
    Component("LATERAL_SHIFT", "Lateral shift", Plane.LATERAL_SHIFT, True, 1),
    Component("SAGITTAL_SHIFT_FORWARD", "Sagittal shift forward", Plane.SAGITTAL_SHIFT, False, 1),
    Component("SAGITTAL_SHIFT_BACKWARD", "Sagittal shift backward", Plane.SAGITTAL_SHIFT, False, 1),
    Component("SHOULDER_ELEVATION", "Shoulder elevation", Plane.SHOULDER, True, 3),
    Component("TREMOR_NO_NO", "Head tremor, horizontal (no-no)", Plane.TREMOR, False, 2),
    Component("TREMOR_YES_YES", "Head tremor, vertical (yes-yes)", Plane.TREMOR, False, 2),
)

BY_CODE = {component.code: component for component in COMPONENTS}
CODE_CHOICES = [(component.code, component.name) for component in COMPONENTS]
