"""MRN normalisation and the accent-insensitive search key. Pure functions, no ORM.

MRN rule (documented on the registration form too): strip surrounding whitespace, upper-case,
and remove every space, dash, dot and slash inside, so "ab-123 456", "AB 123456" and
"ab.123/456" are all the MRN "AB123456". What remains must be 3 to 20 letters (A-Z) and digits.
Leading zeros are kept: an MRN is an identifier, not a number.

Search key: Unidecode (so "Müller", "Peña", "Dvořák", "Łukasz" become ASCII), then casefold,
then every character that is not a letter or digit becomes a space. The database only ever sees
lower-case ASCII on both sides of a ``contains`` lookup, so SQLite's LIKE and PostgreSQL's LIKE
give identical answers.
"""

import re

from unidecode import unidecode

MRN_MIN_LENGTH = 3
MRN_MAX_LENGTH = 20
MRN_RULE = (
    "Spaces, dashes, dots and slashes are ignored and letters are upper-cased, "
    f"so 'ab-123 456' is stored as 'AB123456'. {MRN_MIN_LENGTH} to {MRN_MAX_LENGTH} letters and digits."
)

_MRN_SEPARATORS = re.compile(r"[\s\-./]+")
_MRN_VALID = re.compile(rf"^[A-Z0-9]{{{MRN_MIN_LENGTH},{MRN_MAX_LENGTH}}}$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_mrn(raw):
    """The stored form of an MRN typed any which way (see the module docstring)."""
    return _MRN_SEPARATORS.sub("", (raw or "").strip()).upper()


def mrn_is_valid(mrn):
    """True for a normalised MRN that follows the rule."""
    return bool(_MRN_VALID.match(mrn))


def fold(text):
    """Lower-case ASCII words separated by single spaces: 'Ñúñez-Ávila' -> 'nunez avila'."""
    return _NOT_ALNUM.sub(" ", unidecode(text or "").casefold()).strip()


def patient_search_key(*, family_name, given_name, mrn):
    """What the patient search matches against, maintained on every save."""
    return " ".join(part for part in (fold(family_name), fold(given_name), (mrn or "").casefold()) if part)


def search_terms(query):
    """The words of a search query, folded like the key; every one must occur in a matching key."""
    return fold(query).split()
