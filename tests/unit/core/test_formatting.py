"""Money and KPI values as people read them (``core.formatting``), in the ``en_GB`` locale."""

from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision

from contracts.selectors import currency_decimal_places
from core.formatting import display_locale, kpi_display, money_display, number_display
from pricing.money import MAX_AMOUNT


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        # The currency's ISO minor unit: 0, 2 and 3 decimals.
        ("100299.1800", "GBP", "£100,299.18"),
        ("1234567", "JPY", "JP¥1,234,567"),
        ("1234.5", "BHD", "BHD1,234.500"),
        ("0", "GBP", "£0.00"),
        # Negatives: the minus before the symbol, as the en_GB pattern puts it.
        ("-1704.5000", "GBP", "-£1,704.50"),
        ("-98765", "JPY", "-JP¥98,765"),
        ("-0.125", "BHD", "-BHD0.125"),
        # Large amounts keep every digit and every separator.
        ("999999999999.99", "GBP", "£999,999,999,999.99"),
        ("123456789012345678", "JPY", "JP¥123,456,789,012,345,678"),
        # Extra digits round half up (the house rounding), not half to even.
        ("0.005", "GBP", "£0.01"),
        ("2.5", "JPY", "JP¥3"),
        ("-0.0005", "BHD", "-BHD0.001"),
        # Other symbols the en_GB locale distinguishes from its own pound.
        ("1500", "EUR", "€1,500.00"),
        ("1500", "USD", "US$1,500.00"),
    ],
)
def test_money_is_shown_with_symbol_separators_and_the_minor_unit(amount, currency, shown):
    assert money_display(Decimal(amount), currency) == shown


def test_the_largest_amount_a_statement_holds_is_shown_whole():
    assert money_display(MAX_AMOUNT, "GBP").startswith("£") and "," in money_display(MAX_AMOUNT, "GBP")
    assert money_display(-MAX_AMOUNT, "GBP") == "-" + money_display(MAX_AMOUNT, "GBP")


@pytest.mark.parametrize("code", ["JPY", "GBP", "BHD", "EUR", "USD", "KWD", "ISK", "CHF"])
def test_babel_s_minor_unit_is_the_iso_one_the_statements_are_priced_with(code):
    assert get_currency_precision(code) == currency_decimal_places(code)


def test_the_locale_is_the_setting_s_language(settings):
    assert str(display_locale()) == "en_GB"
    settings.LANGUAGE_CODE = "de-de"
    assert str(display_locale()) == "de_DE"
    assert money_display(Decimal("-1704.5"), "EUR") == "-1.704,50\xa0€"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        # Ratios to two places, so 81.60% and 81.65% stay apart.
        ("81.6023738872", "percent", "81.60%"),
        ("100", "percent", "100.00%"),
        ("81.605", "percent", "81.61%"),
        # Counts are whole numbers with separators.
        ("27500", "count", "27,500"),
        ("1234567.4", "count", "1,234,567"),
        # Durations and scores to one place.
        ("42.25", "seconds", "42.3 s"),
        ("-12.34", "score", "-12.3"),
        ("8.0", "score", "8.0"),
    ],
)
def test_a_kpi_value_is_shown_at_its_unit_s_precision(value, unit, shown):
    assert kpi_display(Decimal(value), unit) == shown


def test_a_money_kpi_is_shown_in_the_contract_s_currency_and_an_unmeasured_one_as_a_dash():
    assert kpi_display(Decimal("152000.5"), "money", currency="GBP") == "£152,000.50"
    assert kpi_display(None, "percent") == "—"


def test_a_kpi_value_of_thirty_digits_prints_whole():
    assert number_display(Decimal("1" * 30), 0) == ",".join(["111"] * 10)
