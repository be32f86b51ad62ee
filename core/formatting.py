"""Numbers as people read them: money and KPI values in the admin, the PDF, the portal and
exports meant for people.

Machine formats (the JSON export, the finance API) keep plain decimals with the currency's
places and never come through here; nor do the priced explanations of statement lines,
which ``pricing.text`` writes once and issued documents keep as they were.

One locale, read from ``settings.LANGUAGE_CODE`` (``en-gb`` → ``en_GB``), decides separators,
symbols and where the minus sign goes: in ``en_GB`` ``-1704.5`` GBP reads ``-£1,704.50``,
``-1234567`` JPY ``-JP¥1,234,567`` and BHD ``BHD1,234.500`` (Babel's CLDR patterns).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_precision
from django.conf import settings
from django.utils.translation import to_locale

# Decimals a KPI value is shown with, by catalogue unit: ratios such as CSAT ``81.60`` to two
# places (a change of 0.01 point can move a band), durations and scores to one.
KPI_PLACES = {"count": 0, "percent": 2, "score": 1, "seconds": 1}
KPI_SUFFIX = {"percent": "%", "seconds": " s"}


@lru_cache(maxsize=8)
def _locale(language_code: str) -> Locale:
    return Locale.parse(to_locale(language_code))


def display_locale() -> Locale:
    """The Babel locale every number shown to people uses: ``settings.LANGUAGE_CODE``
    (``en-gb`` → ``en_GB``). Raises ``babel.UnknownLocaleError`` for a code Babel does not know,
    which is a settings mistake, not an input one."""
    return _locale(settings.LANGUAGE_CODE)


def _rounded(value: Decimal, places: int) -> Decimal:
    """``value`` at ``places`` decimals, half up (the house rounding), whatever its size:
    Babel would round half to even and fails on values longer than the context precision."""
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + places + 2)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _with_precision(value: Decimal, format_number):
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + 8)
        return format_number()


def money_display(amount: Decimal, currency) -> str:
    """``amount`` in ``currency`` (an ISO code or a django-money ``Currency``) for reading:
    its symbol, thousands separators and exactly its ISO 4217 minor unit (JPY 0, GBP 2, BHD 3),
    rounded half up. ``Decimal("-1704.5")`` GBP → ``"-£1,704.50"`` in ``en_GB``.
    Raises ``babel.numbers.UnknownCurrencyError`` for a code that is not a currency."""
    code = str(currency)
    rounded = _rounded(Decimal(amount), get_currency_precision(code))
    return _with_precision(
        rounded,
        lambda: format_currency(rounded, code, locale=display_locale(), currency_digits=True),
    )


def number_display(value: Decimal, places: int) -> str:
    """``value`` with thousands separators and exactly ``places`` decimals, rounded half up:
    ``Decimal("81.6023738872")`` at 2 → ``"81.60"``, ``27500`` at 0 → ``"27,500"``."""
    rounded = _rounded(Decimal(value), places)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return _with_precision(rounded, lambda: format_decimal(rounded, format=pattern, locale=display_locale()))


def kpi_display(value: Decimal | None, unit: str, *, currency=None) -> str:
    """A KPI value at its unit's display precision (:data:`KPI_PLACES`): a count as a whole
    number, a percentage as ``81.60%``, seconds as ``42.5 s``, money in ``currency``. The exact
    value is for the detail or a hover title, not for this text. ``None`` (not measured) is
    ``"—"``; a unit outside the catalogue's shows with two decimals."""
    if value is None:
        return "—"
    if unit == "money" and currency:
        return money_display(value, currency)
    return number_display(value, KPI_PLACES.get(unit, 2)) + KPI_SUFFIX.get(unit, "")


def kpi_axis_display(value: Decimal, unit: str) -> str:
    """An axis end or gridline value of a KPI chart: a whole number without decimals
    (``0%``, ``-100``, ``2,000 s``, money ``250,000``: the chart names the currency once),
    any other at its unit's places as :func:`kpi_display`."""
    places = 0 if value == value.to_integral_value() else KPI_PLACES.get(unit, 2)
    return number_display(value, places) + KPI_SUFFIX.get(unit, "")
