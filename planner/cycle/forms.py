"""The form for recording a cycle's response (at the next visit or by phone)."""

from django import forms

from patients.forms import DATE_WIDGET, VersionedForm
from patients.response import CycleResponse


class CycleResponseForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = CycleResponse
        fields = (
            "reported_via",
            "reported_on",
            "onset_week",
            "peak_week",
            "wear_off_week",
            "benefit_percent",
            "pgic",
            "notes",
        )
        widgets = {
            "reported_via": forms.RadioSelect(attrs={"class": "form-check-input"}),
            "reported_on": DATE_WIDGET,
            "pgic": forms.RadioSelect(attrs={"class": "form-check-input"}),
            "notes": forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pgic"].choices = [("", "Not asked"), *CycleResponse.Pgic.choices]
        self.fields["pgic"].required = False
        for name in ("onset_week", "peak_week", "wear_off_week", "benefit_percent"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "class": "form-control"})
