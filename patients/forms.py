"""Forms validate and convert what was typed; the services decide and write."""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients import posture, scoring
from patients.colcap import COMPONENTS, Direction, Plane
from patients.freetext import NOTES_MAX_LENGTH
from patients.models import AdverseEvent, Patient, Visit, VisitOutcome
from patients.services import PATIENT_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NOT_SCORED = ""


MISSING_VERSION = (
    "This record may have been changed by someone else since you opened it; reload the page and make your "
    "changes again. Nothing was saved."
)


class VersionedForm(forms.Form):
    """An edit form that carries the version of the record it shows (services.record_version).

    Sent back on save, it lets the service refuse to overwrite a save someone made in between
    (services.StaleRecordError). Empty is a version too: "the record did not exist yet".

    The view gives the record's current version as ``initial``; when the record exists, a post without
    the field (an old page, a script) is refused: it used to skip the check and overwrite a newer save.
    A post without it for a record that does not exist yet is read as "I saw none".
    """

    version = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if self.add_prefix("version") not in self.data and self.initial.get("version"):
            raise ValidationError(MISSING_VERSION, code="stale")
        return cleaned

    def seen_version(self):
        return self.cleaned_data.get("version", "")


class ScoreField(forms.TypedChoiceField):
    """One scale item as a row of buttons (radio inputs); blank means not scored yet."""

    def __init__(self, item, **kwargs):
        self.item = item
        choices = [(NOT_SCORED, "not scored"), *item.choices()]
        super().__init__(
            label=item.label,
            choices=choices,
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            error_messages={
                "invalid_choice": f"Enter a score from {item.low} to {item.high}; %(value)s is out of range."
            },
            **kwargs,
        )

    @property
    def anchors(self):
        values = range(self.item.low, self.item.high + 1)
        return list(zip(values, self.item.anchors, strict=False))


class PatientForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "date_of_birth": DATE_WIDGET,
            "diagnosis_date": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "sex": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mrn"].widget.attrs.update(autocomplete="off", autocapitalize="characters", spellcheck="false")
        # A radio group needs no "choose one" option: nothing checked already says nothing was chosen.
        self.fields["sex"].choices = [(value, label) for value, label in self.fields["sex"].choices if value]
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["diagnosis_date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def patient_fields(self):
        return {name: self.cleaned_data[name] for name in PATIENT_FIELDS}

    def validate_unique(self):
        """The service checks the MRN, with a message that links to the patient who has it."""

    def validate_constraints(self):
        """The MRN's unique constraint too: see validate_unique."""


class VisitForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = Visit
        fields = ("date", "notes")
        widgets = {"date": DATE_WIDGET, "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"date": "Up to 12 months ahead; not before the date of birth."}


@dataclass
class PostureRow:
    component: object
    present: forms.BoundField
    direction: forms.BoundField | None
    severity: forms.BoundField | None
    explanation: str

    @property
    def errors(self):
        found = list(self.present.errors)
        for bound in (self.direction, self.severity):
            if bound is not None:
                found += bound.errors
        return found


PLANE_HEADINGS = {
    Plane.ROTATION: "Rotation",
    Plane.TILT: "Tilt",
    Plane.FLEXION_EXTENSION: "Flexion and extension (bilateral)",
    Plane.LATERAL_SHIFT: "Shifts",
    Plane.SAGITTAL_SHIFT: "Shifts",
    Plane.SHOULDER: "Shoulder",
    Plane.TREMOR: "Head tremor",
}


# The severity wording a nurse sees for each plane: the TWSTRS item's anchors (Tsui's for tremor).
PLANE_ANCHORS = {
    Plane.ROTATION: scoring.TWSTRS_ITEMS["rotation"].anchors,
    Plane.TILT: scoring.TWSTRS_ITEMS["laterocollis"].anchors,
    Plane.FLEXION_EXTENSION: scoring.TWSTRS_ITEMS["antero_retrocollis"].anchors,
    Plane.SHOULDER: scoring.TWSTRS_ITEMS["shoulder_elevation"].anchors,
    Plane.TREMOR: scoring.TSUI_ITEMS["tremor_severity"].anchors,
}


def _severity_label(component, value):
    anchors = PLANE_ANCHORS.get(component.plane, ())
    return f"{value} {anchors[value]}" if value < len(anchors) else str(value)


class PostureAssessmentForm(VersionedForm):
    """One row per Col-Cap component: present, direction (lateral ones only) and severity."""

    notes = forms.CharField(required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, findings=(), **kwargs):
        initial = kwargs.pop("initial", {}) or {}
        for finding in findings:
            initial[f"{finding.code}_present"] = True
            initial[f"{finding.code}_direction"] = finding.direction
            initial[f"{finding.code}_severity"] = finding.severity
        super().__init__(*args, initial=initial, **kwargs)
        for component in COMPONENTS:
            name = component.name.lower()
            self.fields[f"{component.code}_present"] = forms.BooleanField(
                label=component.name,
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input", "data-posture-present": ""}),
            )
            if component.lateral:
                self.fields[f"{component.code}_direction"] = forms.ChoiceField(
                    label=f"{component.name} direction",
                    choices=[(Direction.LEFT.value, "Left"), (Direction.RIGHT.value, "Right")],
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "btn-check", "data-posture-detail": ""}),
                )
            if component.max_severity > 1:
                self.fields[f"{component.code}_severity"] = forms.TypedChoiceField(
                    label=f"{component.name} severity",
                    choices=[
                        ("", "severity…"),
                        *[(v, _severity_label(component, v)) for v in posture.severity_range(component.code)],
                    ],
                    widget=forms.Select(attrs={"class": "form-select", "data-posture-detail": ""}),
                    coerce=int,
                    empty_value=None,
                    required=False,
                    error_messages={
                        "invalid_choice": f"Choose a severity from 1 to {component.max_severity} for {name}."
                    },
                )

    def rows(self):
        """(heading, [PostureRow, ...]) in Col-Cap order, for the template."""
        groups = []
        for component in COMPONENTS:
            heading = PLANE_HEADINGS[component.plane]
            if not groups or groups[-1][0] != heading:
                groups.append((heading, []))
            code = component.code
            groups[-1][1].append(
                PostureRow(
                    component=component,
                    present=self[f"{code}_present"],
                    direction=self[f"{code}_direction"] if component.lateral else None,
                    severity=self[f"{code}_severity"] if component.max_severity > 1 else None,
                    explanation=posture.COMBINED_EXPLANATIONS.get(code, ""),
                )
            )
        return groups

    def clean(self):
        cleaned = super().clean()
        for component in COMPONENTS:
            code, name = component.code, component.name.lower()
            present = cleaned.get(f"{code}_present")
            direction = cleaned.get(f"{code}_direction") or ""
            severity = cleaned.get(f"{code}_severity")
            if present:
                if component.lateral and not direction:
                    self.add_error(f"{code}_direction", f"Choose left or right for {name}.")
                if component.max_severity > 1 and severity is None:
                    self.add_error(
                        f"{code}_severity", f"Choose a severity from 1 to {component.max_severity} for {name}."
                    )
            elif direction or severity is not None:
                self.add_error(f"{code}_present", f"Tick 'present' for {name}, or clear its direction and severity.")
        return cleaned

    def findings(self):
        found = []
        for component in COMPONENTS:
            code = component.code
            if self.cleaned_data.get(f"{code}_present"):
                severity = self.cleaned_data.get(f"{code}_severity") if component.max_severity > 1 else 1
                found.append(posture.Finding(code, self.cleaned_data.get(f"{code}_direction") or "", severity))
        return found


class _ScaleForm(VersionedForm):
    items = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in self.items:
            self.fields[item.key] = ScoreField(item)

    def section(self, items):
        return [self[item.key] for item in items if item.key in self.fields]

    def scored_items(self):
        return {item.key: self.cleaned_data.get(item.key) for item in self.items}


class TwstrsForm(_ScaleForm):
    """The TWSTRS items a person types; the six the posture measures are shown, not asked."""

    items = tuple(scoring.TWSTRS_ITEMS[key] for key in scoring.TWSTRS_TYPED_KEYS)

    def severity_fields(self):
        return self.section(scoring.TWSTRS_SEVERITY)

    def disability_fields(self):
        return self.section(scoring.TWSTRS_DISABILITY)

    def pain_rating_fields(self):
        return self.section(scoring.TWSTRS_PAIN_RATINGS)

    def pain_fields(self):
        return self.section(scoring.TWSTRS_PAIN)


class TsuiForm(_ScaleForm):
    items = tuple(scoring.TSUI_ITEMS[key] for key in scoring.TSUI_TYPED_KEYS)

    def movement_fields(self):
        return self.section(scoring.TSUI_ITEMS_TUPLE[:4])

    def shoulder_fields(self):
        return self.section(scoring.TSUI_ITEMS_TUPLE[4:5])

    def tremor_fields(self):
        return self.section(scoring.TSUI_ITEMS_TUPLE[5:])


class VisitOutcomeForm(VersionedForm, forms.ModelForm):
    pain_now = ScoreField(scoring.Item("pain_now", "Pain now", 0, 10, anchors=("none", *[""] * 9, "worst imaginable")))

    class Meta:
        model = VisitOutcome
        fields = ("pain_now", "pgic")
        widgets = {"pgic": forms.RadioSelect}


class AdverseEventForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = (
            "kind",
            "other_kind",
            "dysphagia_grade",
            "severity",
            "onset_days",
            "duration_days",
            "action_taken",
            "details",
        )
        widgets = {
            "kind": forms.Select(attrs={"data-adverse-kind": ""}),
            "severity": forms.RadioSelect,
            "details": forms.Textarea(attrs={"rows": 2}),
            "onset_days": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "duration_days": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = [choice for choice in self.fields["severity"].choices if choice[0]]
        self.fields["severity"].required = False
        self.fields["dysphagia_grade"].widget.attrs["data-dysphagia-only"] = ""
        self.fields["other_kind"].widget.attrs["data-other-only"] = ""

    def validate_unique(self):
        """Nothing unique here; the service runs the model's validation."""
