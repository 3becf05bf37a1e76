"""The rule engine: suggestions, safety findings, totals and hints. Pure Python over plain data (no ORM,
no request), so the same code runs in the editor, the signing gate and the tests."""
