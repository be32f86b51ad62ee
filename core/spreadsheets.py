"""Text written to a CSV or Excel file that a spreadsheet opens: never a formula.

Spreadsheets run formulas: a text cell starting with ``= + - @``, a tab or a carriage return
is written with a leading apostrophe (:func:`cell_text`). The portal's exports and the
billing journal both write through it.
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_text(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs: a leading apostrophe when it starts
    with one of :data:`FORMULA_PREFIXES` (``"=1+1"`` → ``"'=1+1"``), else unchanged."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
