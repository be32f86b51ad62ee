"""A small collector of validation errors, each with the key path it belongs to.

Every number and text of a contract file goes through one of these checks, and each check
states its bounds (the table in docs/contract-file.md is built from the same constants).
Values are inspected before they are converted: a number's digits are counted on its text
before ``Decimal()`` or ``int()`` sees it, and a text's characters are checked before it
reaches a column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

HUNDRED = Decimal(100)
# Longest number text looked at, sign and point included: anything longer is refused unread.
MAX_NUMBER_CHARS = 40
# Whole numbers (payment_terms_days, earn_back_months): digits looked at before int().
MAX_INTEGER_DIGITS = 18
# Problems listed per file; the rest are counted (a hostile file can hold a million).
MAX_REPORTED = 100
# How much of a bad value a message repeats.
SHOWN_CHARS = 60

PLAIN_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
EXPONENT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
NON_FINITE = {"nan", "snan", "inf", "infinity", ".nan", ".inf"}
# Bidirectional embeddings, overrides and isolates: they make text read differently from
# what it holds (a supplier name that displays as another's).
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class NumberLiteral(str):
    """A number as the file wrote it when it is not a plain decimal (``1e400``, ``0x1F``,
    ``.inf``, ``1_000``, or more digits than any bound allows).

    The parsers keep such literals as text so that the validator, which knows the key path,
    refuses them; they are never text values either.
    """


class NumberBound(NamedTuple):
    """An inclusive range and the most decimal places a number may be written with."""

    minimum: Decimal
    maximum: Decimal
    decimals: int
    above_minimum: bool = False  # the minimum itself is excluded


# Chosen so that the largest amounts a contract can state stay far inside a statement's
# columns (20 digits, 4 of them decimals: below 10^16) and inside the 28 significant digits
# of the pricing core's decimal context: 10^12 with 6 decimals is 18 digits.
MONEY = NumberBound(Decimal(0), Decimal(1_000_000_000), 4)
PRICE = NumberBound(Decimal(0), Decimal(1_000_000), 6)
QUANTITY = NumberBound(Decimal(0), Decimal(1_000_000_000_000), 4)
BAND_LIMIT = NumberBound(Decimal(0), Decimal(1_000_000_000_000), 4, above_minimum=True)
PERCENT = NumberBound(Decimal(0), HUNDRED, 4)
TAX_PERCENT = NumberBound(Decimal(0), HUNDRED, 2)  # Contract.tax_rate is numeric(5, 2)
WEIGHT = NumberBound(Decimal(0), Decimal(1_000_000), 4)
KPI_VALUE = NumberBound(Decimal(-1_000_000_000), Decimal(1_000_000_000), 4)
PAYOUT = NumberBound(Decimal(0), Decimal(10), 4)


class Length(NamedTuple):
    """The most characters a text may have, and whether it may span lines."""

    maximum: int
    multiline: bool = False


# Column lengths of contracts.models (a test compares them field by field).
REFERENCE = Length(50)
TITLE = Length(200)
NAME = Length(200)
VAT_NUMBER = Length(40)
ADDRESS = Length(500, multiline=True)
EMAIL = Length(254)


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Checker:
    """Collects every problem in a document instead of stopping at the first.

    Each check returns the cleaned value, or ``None`` after recording an error.
    """

    errors: list[FieldError] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def mapping(
        self, value, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict | None:
        """A mapping with all ``required`` keys and nothing outside ``required + optional``."""
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {_kind(value)}")
            return None
        allowed = set(required) | set(optional)
        for key in value:
            if not is_text(key) or key not in allowed:
                self.error(_join(path, _key(key)), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in value:
                self.error(_join(path, key), "is required")
        return value

    def items(self, value, path: str, *, min_items: int = 1, max_items: int) -> list:
        """A list of ``min_items`` to ``max_items`` items; a longer one is refused unread."""
        if not isinstance(value, list):
            self.error(path, f"expected a list, got {_kind(value)}")
            return []
        if len(value) < min_items:
            self.error(path, f"needs at least {min_items} item{'s' if min_items > 1 else ''}")
        if len(value) > max_items:
            self.error(path, f"has {len(value)} items; at most {max_items} are allowed")
            return []
        return value

    def text(self, value, path: str, length: Length) -> str | None:
        """Non-empty text of at most ``length.maximum`` characters once stripped, without
        control characters (a line break only where ``length.multiline``)."""
        if not is_text(value) or not value.strip():
            self.error(path, f"expected non-empty text, got {_kind(value)}")
            return None
        return self._characters(value.strip(), path, length)

    def optional_text(self, value, path: str, length: Length) -> str | None:
        """Like :meth:`text`, but absent, null or blank is ``""``."""
        if value is None or (is_text(value) and not value.strip()):
            return ""
        return self.text(value, path, length)

    def _characters(self, text: str, path: str, length: Length) -> str | None:
        if len(text) > length.maximum:
            self.error(path, f"is {len(text)} characters long; at most {length.maximum} are allowed")
            return None
        bad = next((c for c in text if _forbidden(c, multiline=length.multiline)), None)
        if bad is not None:
            name = unicodedata.name(bad, "control character")
            self.error(path, f"contains {name.lower()} (U+{ord(bad):04X}), which is not allowed in text")
            return None
        return text

    def email(self, value, path: str) -> str | None:
        """An e-mail address (Django's ``validate_email``) of at most 254 characters, or ``""``."""
        text = self.optional_text(value, path, EMAIL)
        if not text:
            return text
        try:
            validate_email(text)
        except ValidationError:
            self.error(path, f"not a valid e-mail address: {shown(text)}")
            return None
        return text

    def choice(self, value, path: str, choices: tuple[str, ...]) -> str | None:
        if not is_text(value) or value not in choices:
            self.error(path, f"must be one of {', '.join(choices)}, got {shown(value)}")
            return None
        return value

    def decimal(self, value, path: str, bound: NumberBound) -> Decimal | None:
        """An exact decimal within ``bound``, from a string, an int or a plain YAML/JSON number.

        Refused, with the reason: booleans, floats (not exact), exponent notation, NaN and
        infinities, more than ``bound.decimals`` decimal places, a value outside the range.
        The text is checked before ``Decimal()`` sees it (at most ``MAX_NUMBER_CHARS``).
        """
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
            self.error(path, f"expected a number, got {_kind(value)}")
            return None
        if isinstance(value, float):
            self.error(path, f"{value!r} is a float, which is not exact: give the number as text")
            return None
        text = _number_text(value)
        if text is None:
            self.error(path, f"has more than {MAX_NUMBER_CHARS} characters; not a number this file can hold")
            return None
        problem = _plain_number_problem(text)
        if problem is None and isinstance(value, NumberLiteral):
            # A plain-looking literal the parser did not convert: YAML 1.1 reads 017 as octal 15.
            problem = (
                f"not a number: {shown(text)} (a leading zero is octal in YAML: drop it or quote the number)"
            )
        if problem:
            self.error(path, problem)
            return None
        number = Decimal(text)
        places = max(0, -number.as_tuple().exponent)
        if places > bound.decimals:
            self.error(path, f"has {places} decimal places; at most {bound.decimals} are allowed, got {text}")
            return None
        if number < bound.minimum or (bound.above_minimum and number == bound.minimum):
            word = "above" if bound.above_minimum else "at least"
            self.error(path, f"must be {word} {bound.minimum}, got {text}")
            return None
        if number > bound.maximum:
            self.error(path, f"must be at most {bound.maximum}, got {text}")
            return None
        return number

    def amount(self, value, path: str) -> Decimal | None:
        """A money amount: 0 to 1,000,000,000 inclusive, at most 4 decimals."""
        return self.decimal(value, path, MONEY)

    def price(self, value, path: str) -> Decimal | None:
        """A price per unit: 0 to 1,000,000 inclusive, at most 6 decimals."""
        return self.decimal(value, path, PRICE)

    def percent(self, value, path: str) -> Decimal | None:
        """A percentage: 0 to 100 inclusive, at most 4 decimals."""
        return self.decimal(value, path, PERCENT)

    def integer(self, value, path: str, *, minimum: int = 0, maximum: int) -> int | None:
        """A whole number from ``minimum`` to ``maximum`` inclusive (written as a number).

        A number of more than ``MAX_INTEGER_DIGITS`` digits is refused from its text, before
        any conversion.
        """
        if isinstance(value, NumberLiteral) and value.lstrip("+-").isdigit():
            digits = len(value.lstrip("+-"))
            self.error(path, f"has {digits} digits; at most {MAX_INTEGER_DIGITS} are read")
            return None
        if isinstance(value, int) and value.bit_length() > MAX_INTEGER_DIGITS * 4:
            self.error(path, f"must be at most {maximum}, got {shown(value)}")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {_kind(value)}")
            return None
        if value < minimum:
            self.error(path, f"must be at least {minimum}, got {value}")
            return None
        if value > maximum:
            self.error(path, f"must be at most {maximum}, got {value}")
            return None
        return value

    def boolean(self, value, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {_kind(value)}")
            return None
        return value

    def date(self, value, path: str) -> date | None:
        """A calendar date (a YAML date, or text ``YYYY-MM-DD``); a date-time is refused."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if is_text(value) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(path, f"expected a date YYYY-MM-DD, got {shown(value)}")
        return None


def is_text(value) -> bool:
    """Text as the file wrote it (a number the parser kept as text is not)."""
    return isinstance(value, str) and not isinstance(value, NumberLiteral)


def shown(value) -> str:
    """A value for a message: its repr, cut to ``SHOWN_CHARS`` characters."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * SHOWN_CHARS:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    text = str(value) if isinstance(value, (Decimal, NumberLiteral)) else repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} characters)"


def _forbidden(char: str, *, multiline: bool) -> bool:
    if char == "\n":
        return not multiline
    category = unicodedata.category(char)
    # Cc: C0/C1 controls (NUL, ESC, tab…); Cs: lone surrogates, which no database column
    # stores as UTF-8; Zl/Zp: line and paragraph separators.
    return category in ("Cc", "Cs", "Zl", "Zp") or char in BIDI_CONTROLS


def _number_text(value) -> str | None:
    """The number's text, or ``None`` when it is longer than any bound allows."""
    if isinstance(value, int):
        # Digits counted without converting: a 100,000-digit int is not printed.
        if value.bit_length() > MAX_NUMBER_CHARS * 4:
            return None
        return str(value)
    text = str(value).strip()
    return text if len(text) <= MAX_NUMBER_CHARS else None


def _plain_number_problem(text: str) -> str | None:
    if PLAIN_NUMBER_RE.fullmatch(text):
        return None
    if EXPONENT_RE.fullmatch(text):
        return f"exponent notation is not accepted, got {text}: write the number out in full"
    if text.lower().lstrip("+-") in NON_FINITE:
        return f"not a finite number: {text}"
    return f"not a number: {shown(text)}"


def _key(key) -> str:
    """A key as a path segment: text as written (cut, controls escaped), anything else shown."""
    if not is_text(key):
        return shown(key)
    text = key if key.isprintable() else repr(key)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}…"


def key_path(path: str, key) -> str:
    """The path of ``key`` under ``path`` as messages show it: text as written (cut, controls
    escaped), anything else shown (a number, a date)."""
    return _join(path, _key(key))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return shown(value)
