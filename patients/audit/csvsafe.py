"""CSV cells a spreadsheet will not run as a formula: the one helper every CSV the app writes uses.

Text typed by people (a username tried at sign-in, a lot number, a reference row's name) can start
like a formula; Excel, LibreOffice and Google Sheets would evaluate `=HYPERLINK(...)` or `@SUM(...)`
when the file is opened. Such text gets a leading apostrophe, which spreadsheets show as plain text
(OWASP, "CSV Injection"). Numbers stay numbers: only strings are changed.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as a CSV cell: None as blank, text starting like a formula with an apostrophe before it."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def safe_row(values):
    return [safe_cell(value) for value in values]
