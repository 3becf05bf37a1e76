"""MRN normalisation and the accent-insensitive search key."""

import pytest

from patients.text import fold, mrn_is_valid, normalise_mrn, patient_search_key, search_terms


@pytest.mark.parametrize("typed", ["ab-123 456", " AB123456 ", "ab.123/456", "Ab - 123  456"])
def test_an_mrn_typed_any_which_way_is_stored_one_way(typed):
    assert normalise_mrn(typed) == "AB123456"


def test_leading_zeros_are_part_of_the_mrn():
    assert normalise_mrn("00-42") == "0042"


@pytest.mark.parametrize(("mrn", "valid"), [("AB1", True), ("AB", False), ("A" * 21, False), ("AB#12", False)])
def test_an_mrn_is_3_to_20_letters_and_digits(mrn, valid):
    assert mrn_is_valid(mrn) is valid


def test_folding_removes_accents_case_and_punctuation():
    assert fold("Ñúñez-Ávila") == "nunez avila"
    assert fold("Łukasz Dvořák") == "lukasz dvorak"
    assert fold("Straße") == "strasse"


def test_the_search_key_holds_names_and_mrn():
    assert patient_search_key(family_name="Müller", given_name="Zoë", mrn="AB123") == "muller zoe ab123"


def test_search_terms_are_folded_like_the_key():
    assert search_terms("  MÜLLER  zoe ") == ["muller", "zoe"]
    assert search_terms("") == []
