"""How long free text may be. 1 MB once went into a patient's notes and was copied into every history
and audit row; a note longer than a few pages is a paste gone wrong, not a clinical note."""

from django.core.validators import MaxLengthValidator

NOTES_MAX_LENGTH = 4000  # notes on a patient, a visit, a posture assessment; side-effect details
REASON_MAX_LENGTH = 500  # a short reason or label


def limit(max_length):
    """The model validator for a TextField's maximum (a TextField's max_length alone reaches only forms)."""
    return MaxLengthValidator(
        max_length, message=f"Keep this to at most {max_length} characters (it has %(show_value)d)."
    )
