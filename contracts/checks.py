"""A small collector of validation errors, each with the key path it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

HUNDRED = Decimal(100)


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
            if key not in allowed:
                self.error(_join(path, str(key)), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in value:
                self.error(_join(path, key), "is required")
        return value

    def items(self, value, path: str, *, min_items: int = 1) -> list:
        if not isinstance(value, list):
            self.error(path, f"expected a list, got {_kind(value)}")
            return []
        if len(value) < min_items:
            self.error(path, f"needs at least {min_items} item{'s' if min_items > 1 else ''}")
        return value

    def text(self, value, path: str, *, max_length: int = 200) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, f"expected non-empty text, got {_kind(value)}")
            return None
        if len(value) > max_length:
            self.error(path, f"is longer than {max_length} characters")
            return None
        return value.strip()

    def choice(self, value, path: str, choices: tuple[str, ...]) -> str | None:
        if value not in choices:
            self.error(path, f"must be one of {', '.join(choices)}, got {value!r}")
            return None
        return value

    def decimal(self, value, path: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None):
        """A finite decimal from a string, int or YAML/JSON number (kept exact)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.error(path, f"expected a number, got {_kind(value)}")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.error(path, f"not a number: {value!r}")
            return None
        if not number.is_finite():
            self.error(path, f"not a finite number: {value!r}")
            return None
        if minimum is not None and number < minimum:
            self.error(path, f"must be at least {minimum}, got {value}")
            return None
        if maximum is not None and number > maximum:
            self.error(path, f"must be at most {maximum}, got {value}")
            return None
        return number

    def amount(self, value, path: str):
        """A non-negative money amount."""
        return self.decimal(value, path, minimum=Decimal(0))

    def percent(self, value, path: str):
        """A percentage between 0 and 100 inclusive."""
        return self.decimal(value, path, minimum=Decimal(0), maximum=HUNDRED)

    def integer(self, value, path: str, *, minimum: int = 0) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {_kind(value)}")
            return None
        if value < minimum:
            self.error(path, f"must be at least {minimum}, got {value}")
            return None
        return value

    def boolean(self, value, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {_kind(value)}")
            return None
        return value

    def date(self, value, path: str) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(path, f"expected a date YYYY-MM-DD, got {value!r}")
        return None


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
    return repr(value)
