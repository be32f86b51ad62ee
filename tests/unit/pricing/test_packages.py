"""Package pricing (a price per started block of units) and flat fees per band."""

import pytest

from pricing.result import LineKind
from pricing.terms import Band, BandMode, UnitRate

from .builders import D, amounts, price


def rate(*steps, mode=BandMode.GRADUATED, package_size=None):
    bands = tuple(
        Band(None if up_to is None else D(up_to), D(unit), None if flat is None else D(flat))
        for up_to, unit, flat in steps
    )
    return UnitRate(
        "api", "contacts_chat", bands, mode, package_size=None if package_size is None else D(package_size)
    )


def charged(component, units):
    return amounts(price(component, kpis={"contacts_chat": units}), LineKind.UNIT_RATE)


# A price per started package: ceil(units / package_size) × price.
@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("0", "0.00"),  # no units, no package
        ("1", "5.00"),  # one unit starts a package
        ("100", "5.00"),
        ("101", "10.00"),
        ("250", "15.00"),
        ("99.5", "5.00"),  # hours or other fractional units start a package too
    ],
)
def test_package_price(units, expected):
    assert charged(rate((None, "5.00", None), package_size="100"), units) == [D(expected)]


def test_package_bands_count_packages():
    # 2,050 units in packages of 100 → 21 packages; 10 at 50.00 and 11 at 40.00.
    component = rate(("10", "50.00", None), (None, "40.00", None), package_size="100")
    statement = price(component, kpis={"contacts_chat": "2050"})
    assert amounts(statement) == [D("940.00")]
    assert statement.lines[0].explanation == (
        "2,050 contacts_chat in packages of 100 = 21 packages, graduated bands: "
        "10 × 50.00 = 500.00 + 11 × 40.00 = 440.00 → 940.00"
    )


# Flat fees per band. Graduated: one for each band reached; volume: that of the band reached
# (Lago's graduated and volume charge models: getlago.com/docs/guide/plans/charges/charge-models).
GRADUATED = rate(("1000", "0.10", "20.00"), ("10000", "0.05", "30.00"), (None, "0.01", "40.00"))
# Lago's volume example: 65,000 API calls in the 50,001–100,000 tier at 0.0006 plus its 10 flat
# fee → 49.00.
VOLUME = rate(
    ("10000", "0.0010", "10"),
    ("50000", "0.0008", "10"),
    ("100000", "0.0006", "10"),
    (None, "0.0004", "10"),
    mode=BandMode.VOLUME,
)


@pytest.mark.parametrize(
    ("component", "units", "expected"),
    [
        (GRADUATED, "0", "0.00"),  # no unit reaches a band: no flat fee
        (GRADUATED, "1", "20.10"),
        (GRADUATED, "1000", "120.00"),  # 100 + 20: the second band is not reached
        (GRADUATED, "1001", "150.05"),  # 100 + 20 + 0.05 + 30
        (GRADUATED, "15000", "690.00"),  # 100 + 450 + 50 and 20 + 30 + 40
        (VOLUME, "65000", "49.00"),
        (VOLUME, "0", "0.00"),
        (VOLUME, "10000", "20.00"),  # 10 + 10
    ],
)
def test_flat_fees(component, units, expected):
    assert charged(component, units) == [D(expected)]


def test_flat_fee_is_named_in_the_explanation():
    statement = price(GRADUATED, kpis={"contacts_chat": "1001"})
    assert statement.lines[0].explanation == (
        "1,001 contacts_chat, graduated bands: 1,000 × 0.10 = 100.00 + flat fee 20.00 + 1 × 0.05 = 0.05 "
        "+ flat fee 30.00 → 150.05"
    )
