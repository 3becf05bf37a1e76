"""Conditions, medicines and toxin given elsewhere on the patient record."""
