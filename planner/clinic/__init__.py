"""The clinic's pages: the worklist, clinic figures, exports and the patient's treatment summary."""
