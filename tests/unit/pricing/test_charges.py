"""Charges: fixed fees, unit-rate bands (graduated and volume), minimum top-ups."""

from datetime import date

import pytest

from pricing.result import LineKind
from pricing.terms import Band, BandMode, FixedFee, UnitRate

from .builders import D, amounts, flag_codes, price

BANDS = (Band(D(10000), D("3.00")), Band(D(25000), D("2.50")), Band(None, D("2.00")))


def voice(mode=BandMode.GRADUATED, minimum=None):
    return UnitRate("voice", "contacts_voice", BANDS, mode, None if minimum is None else D(minimum))


# Graduated: each unit priced in the band it falls in; up_to is inclusive.
@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("0", "0.00"),
        ("1", "3.00"),
        ("10000", "30000.00"),  # exactly at the first boundary: all in band 1
        ("10001", "30002.50"),  # one unit into band 2
        ("25000", "67500.00"),
        ("25001", "67502.00"),
        ("27500", "72500.00"),  # PRICING.md worked example
        ("0.5", "1.50"),  # fractional units (hours) are priced exactly
    ],
)
def test_graduated_bands(quantity, expected):
    assert amounts(price(voice(), kpis={"contacts_voice": quantity})) == [D(expected)]


# Volume: the band the whole quantity reaches prices every unit (the all-units cliff).
@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("10000", "30000.00"),  # still band 1 at its inclusive boundary
        ("10001", "25002.50"),  # the cliff: every unit drops to 2.50
        ("25000", "62500.00"),
        ("25001", "50002.00"),
        ("27500", "55000.00"),  # PRICING.md worked example
    ],
)
def test_volume_bands(quantity, expected):
    assert amounts(price(voice(BandMode.VOLUME), kpis={"contacts_voice": quantity})) == [D(expected)]


# Minimum charge: a separate top-up line brings the component up to the minimum.
@pytest.mark.parametrize(
    ("quantity", "topup"),
    [
        ("5000", "5000.00"),  # 15,000 charged, minimum 20,000
        ("6666", "2.00"),  # 19,998.00 charged
        ("6667", None),  # 20,001 charged: above the minimum, no top-up
        ("0", "20000.00"),
    ],
)
def test_minimum_charge_top_up(quantity, topup):
    statement = price(voice(minimum="20000.00"), kpis={"contacts_voice": quantity})
    expected = [] if topup is None else [D(topup)]
    assert amounts(statement, LineKind.MINIMUM_TOP_UP) == expected
    if topup is not None:
        assert statement.net == D("20000.00")


def test_unit_rate_not_measured_prices_zero_units_and_flags():
    statement = price(voice(), kpis={})
    assert amounts(statement) == [D("0.00")]
    assert "kpi_not_measured" in flag_codes(statement)
    assert "not measured" in statement.lines[0].explanation


def test_unit_rate_explanation_shows_the_arithmetic():
    line = price(voice(), kpis={"contacts_voice": "27500"}).lines[0]
    assert line.explanation == (
        "27,500 contacts_voice, graduated bands: 10,000 × 3.00 = 30,000.00 + 15,000 × 2.50 = 37,500.00"
        " + 2,500 × 2.00 = 5,000.00 → 72,500.00"
    )


# Proration: fixed money amounts × active days / days in month; counts and prices are not.
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 3, 10), None, "42580.65"),  # starts on the 10th: 22/31 × 60,000
        (date(2026, 1, 1), date(2026, 3, 9), "17419.35"),  # ends on the 9th: 9/31
        (date(2026, 3, 1), date(2026, 3, 31), "60000.00"),  # whole month
        (date(2026, 3, 31), None, "1935.48"),  # a single day
    ],
)
def test_fixed_fee_prorated(start, end, expected):
    from pricing.period import Period

    statement = price(FixedFee("mgmt", D("60000.00")), period=Period(2026, 3), start=start, end=end)
    assert amounts(statement) == [D(expected)]
    assert ("prorated" in flag_codes(statement)) == (expected != "60000.00")


def test_minimum_charge_is_prorated_but_unit_prices_are_not():
    from pricing.period import Period

    statement = price(
        voice(minimum="31000.00"),
        kpis={"contacts_voice": "1000"},
        period=Period(2026, 3),
        start=date(2026, 3, 10),
    )
    # 1,000 × 3.00 = 3,000.00 (unit price untouched); minimum 31,000 × 22/31 = 22,000.00
    assert amounts(statement) == [D("3000.00"), D("19000.00")]


def test_contract_not_active_in_period_is_refused():
    from pricing import PricingError
    from pricing.period import Period

    with pytest.raises(PricingError, match="not active in 2026-02"):
        price(FixedFee("mgmt", D("1.00")), period=Period(2026, 2), start=date(2026, 3, 1))
