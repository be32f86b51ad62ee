"""An organisation's payment details and company number, checked the same way in the admin,
in a contract file and on the model.

Each ``*_problem`` function takes the value as written and returns why it is not valid, or
None; an empty value is allowed (the detail is optional). ``*_compact`` gives the form kept in
the database (spaces and hyphens removed, upper case), so ``GB82 WEST 1234 5698 7654 32`` and
``GB82WEST12345698765432`` are one IBAN.

- IBAN: ``stdnum.iban`` (country format and the ISO 7064 mod 97-10 check), at most 34 characters.
- BIC: ``stdnum.bic`` (ISO 9362: 8 or 11 characters, a valid country code).
- UK sort code: 6 digits (``12-34-56`` is written ``123456``); account number: 8 digits. The
  two come together, and neither is checked beyond its digits (UK modulus checking needs
  the banks' tables, which change).
- Company registration number: python-stdnum has no UK company-number module, so the rule
  is Companies House's shape: 8 characters, upper-case letters and digits (``01234567``,
  ``SC123456``); other countries' numbers are 1 to 20 letters, digits, ``.``, ``-`` or ``/``.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import bic, iban
from stdnum.exceptions import ValidationError

IBAN_CHARS = 34
BIC_CHARS = 11
SORT_CODE_RE = re.compile(r"[0-9]{6}")
ACCOUNT_NUMBER_RE = re.compile(r"[0-9]{8}")
UK_COMPANY_NUMBER_RE = re.compile(r"[A-Z0-9]{8}")
COMPANY_NUMBER_RE = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,19}")
REGISTRATION_NUMBER_CHARS = 20
# How much of a bad value a message repeats.
SHOWN_CHARS = 40


def compact(value) -> str:
    """``value`` without spaces or hyphens, upper case ("" for None)."""
    return re.sub(r"[\s-]", "", str(value or "")).upper()


def _shown(value) -> str:
    text = str(value)
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…")


def iban_problem(value) -> str | None:
    """Why ``value`` is not an IBAN (``stdnum.iban``), or None (empty is allowed)."""
    number = compact(value)
    if not number:
        return None
    if len(number) > IBAN_CHARS:
        return f"an IBAN has at most {IBAN_CHARS} characters, got {len(number)}"
    try:
        iban.validate(number)
    except ValidationError:
        return f"{_shown(value)} is not a valid IBAN (its country's format and check digits)"
    return None


def bic_problem(value) -> str | None:
    """Why ``value`` is not a BIC (``stdnum.bic``, 8 or 11 characters), or None."""
    code = compact(value)
    if not code:
        return None
    if len(code) > BIC_CHARS:
        return f"a BIC has 8 or 11 characters, got {len(code)}"
    try:
        bic.validate(code)
    except ValidationError:
        return f"{_shown(value)} is not a valid BIC (8 or 11 characters: bank, country, location, branch)"
    return None


def sort_code_problem(value) -> str | None:
    """Why ``value`` is not a UK sort code (6 digits, hyphens allowed), or None."""
    code = compact(value)
    if code and not SORT_CODE_RE.fullmatch(code):
        return f"a UK sort code is 6 digits (12-34-56), got {_shown(value)}"
    return None


def account_number_problem(value) -> str | None:
    """Why ``value`` is not a UK account number (8 digits), or None."""
    number = compact(value)
    if number and not ACCOUNT_NUMBER_RE.fullmatch(number):
        return f"a UK account number is 8 digits, got {_shown(value)}"
    return None


def registration_number_problem(country: str, value) -> str | None:
    """Why ``value`` is not a company registration number of ``country``, or None: a UK
    (``GB``) one is 8 upper-case letters or digits; another country's 1-20 letters, digits,
    ``.``, ``-`` or ``/``, starting with a letter or digit."""
    number = str(value or "").strip().upper().replace(" ", "")
    if not number:
        return None
    if (country or "").upper() == "GB":
        if not UK_COMPANY_NUMBER_RE.fullmatch(number):
            return f"a UK company number is 8 letters or digits (01234567, SC123456), got {_shown(value)}"
    elif not COMPANY_NUMBER_RE.fullmatch(number):
        return f"a company number is 1–20 letters, digits, '.', '-' or '/', got {_shown(value)}"
    return None


def registration_number_compact(value) -> str:
    """The registration number as kept: upper case, without spaces (hyphens are kept)."""
    return str(value or "").strip().upper().replace(" ", "")


def payment_details_problems(
    *, country: str, iban: str, bic: str, sort_code: str, account_number: str, registration_number: str
) -> dict[str, str]:
    """Every problem of an organisation's payment details, by field name: each value checked
    on its own, then a sort code without an account number (or the reverse), and a BIC
    without an IBAN. Empty: nothing to say."""
    problems = {
        name: problem
        for name, problem in (
            ("iban", iban_problem(iban)),
            ("bic", bic_problem(bic)),
            ("sort_code", sort_code_problem(sort_code)),
            ("account_number", account_number_problem(account_number)),
            ("registration_number", registration_number_problem(country, registration_number)),
        )
        if problem
    }
    if bool(compact(sort_code)) != bool(compact(account_number)):
        missing = "account_number" if compact(sort_code) else "sort_code"
        problems.setdefault(missing, "a UK sort code and account number are given together")
    if compact(bic) and not compact(iban):
        problems.setdefault("iban", "a BIC is given with an IBAN")
    return problems


BUYER_REFERENCE_CHARS = 40


def buyer_reference_problem(value) -> str | None:
    """Why ``value`` is not a buyer reference (a purchase-order number: 1-40 characters once
    stripped, on one line, no control or bidirectional-override characters), or None (empty)."""
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > BUYER_REFERENCE_CHARS:
        return f"is {len(text)} characters long; at most {BUYER_REFERENCE_CHARS} are allowed"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        return "contains a control character, which is not allowed in a reference"
    return None


def validate_buyer_reference(value) -> None:
    """The model's validator of ``Contract.buyer_reference``. Raises ``ValidationError``."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    if problem := buyer_reference_problem(value):
        raise DjangoValidationError(problem)
