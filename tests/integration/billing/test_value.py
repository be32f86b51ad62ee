"""The value reads over a small scenario (tests/integration/billing/value_world.py), checked
against values worked by hand: a gain-share month, a revenue-share month with a credit, a
corrected month, a draft that does not count, two currencies."""

from decimal import Decimal as D

import pytest

from billing.portfolio import portfolio, portfolio_years
from billing.value import value_months, value_range_check, value_totals
from contracts.models import Contract
from pricing.period import Period
from pricing.value import PayBucket

from .value_world import build_value_world, issued, priced, value_contract

pytestmark = pytest.mark.django_db
YEAR = (Period(2026, 1), Period(2026, 12))


@pytest.fixture
def world(db):
    return build_value_world()


def months_of(contract, first=YEAR[0], last=YEAR[1]):
    return value_months(
        scope={"contract_id": contract.pk}, rounding={contract.pk: contract.rounding}, first=first, last=last
    )


def row(month):
    """(period, value, share, retained, fixed, per unit, shared, outcomes, credits, total)."""
    pay = month.pay
    return (
        month.period,
        month.split.value,
        month.split.supplier_share,
        month.split.buyer_retained,
        pay[PayBucket.FIXED],
        pay[PayBucket.PER_UNIT],
        pay[PayBucket.SHARED_VALUE],
        pay[PayBucket.OUTCOMES],
        pay[PayBucket.CREDITS],
        month.total,
    )


def test_each_month_as_worked_by_hand(world):
    assert [row(month) for month in months_of(world["gbp"])] == [
        # A gain-share month: saving 4.00 × 1,000 − 3,000 = 1,000, half to the supplier;
        # 5 saves × 10.00. Pay 1,000 + 1,000 + 500 + 50.
        ("2026-01", D("1000.00"), D("500.00"), D("500.00"), D(1000), D(1000), D(500), D(50), D(0), D(2550)),
        # A revenue-share month: uplift 15,000 − 10,000 = 5,000, 10 % to the supplier; no
        # saving (cost 4,000 = baseline); the service level missed: 5 % of charges 2,000 = −100.
        (
            "2026-02",
            D("5000.00"),
            D("500.00"),
            D("4500.00"),
            D(1000),
            D(1000),
            D(500),
            D(0),
            D(-100),
            D(2400),
        ),
        # A corrected month: issued on a saving of 800 (share 400), corrected to 1,200 (share
        # 600, the +200 adjustment issued): net of the correction.
        ("2026-03", D("1200.00"), D("600.00"), D("600.00"), D(1000), D(1000), D(600), D(0), D(0), D(2600)),
        # 2026-04 is a draft: it does not count.
    ]


def test_the_other_currency_stays_apart(world):
    (january,) = months_of(world["eur"])
    assert (january.currency, row(january)) == (
        "EUR",
        ("2026-01", D("500.00"), D("250.00"), D("250.00"), D(1000), D(0), D(250), D(0), D(0), D(1250)),
    )
    buyer = value_months(
        scope={"buyer_id": world["gbp"].buyer_id},
        rounding={},
        first=YEAR[0],
        last=YEAR[1],
    )
    totals = value_totals(buyer)
    assert sorted(totals) == ["EUR", "GBP"]
    assert (totals["GBP"].value, totals["GBP"].supplier_share, totals["GBP"].buyer_retained) == (
        D("7200.00"),
        D("1600.00"),
        D("5600.00"),
    )
    assert (totals["GBP"].total, totals["GBP"].pay[PayBucket.CREDITS], totals["GBP"].months) == (
        D(7550),
        D(-100),
        3,
    )
    assert (totals["EUR"].total, totals["EUR"].value) == (D(1250), D("500.00"))
    # Another buyer's contract is never in this buyer's months.
    assert {month.contract_id for month in buyer} == {world["gbp"].pk, world["eur"].pk}


def test_the_range_bounds_are_inclusive(world):
    assert [m.period for m in months_of(world["gbp"], Period(2026, 2), Period(2026, 3))] == [
        "2026-02",
        "2026-03",
    ]
    assert months_of(world["gbp"], Period(2026, 4), Period(2026, 6)) == []


@pytest.mark.parametrize(
    "first, last, message",
    [
        ((2026, 5), (2026, 4), "starts"),
        ((2016, 1), (2026, 1), "at most 120"),
    ],
)
def test_a_bad_range_is_refused(first, last, message):
    with pytest.raises(ValueError, match=message):
        value_range_check(Period(*first), Period(*last))
    value_range_check(Period(2016, 2), Period(2026, 1))  # 120 months exactly


def test_a_month_whose_saving_vanished_after_a_correction_has_no_value(world):
    """The correction takes the saving to zero: the share is credited back and the month
    records no value, as the re-priced month has no share line."""
    gbp = world["gbp"]
    issued(priced(gbp, "2026-01", "gbp-01-fix.csv", cost_to_serve=4000))
    january = months_of(gbp, Period(2026, 1), Period(2026, 1))[0]
    assert (january.split.value, january.pay[PayBucket.SHARED_VALUE], january.total) == (None, D(0), D(2050))


def test_the_portfolio_per_currency_month_and_contract(world):
    assert portfolio_years(buyer_id=world["gbp"].buyer_id) == [2026]
    listed = portfolio(buyer_id=world["gbp"].buyer_id, year=2026)
    assert [part.currency for part in listed] == ["EUR", "GBP"]  # by code, never added together
    parts = {part.currency: part for part in listed}
    gbp = parts["GBP"]
    # Pay 7,550: fixed 3,000, per unit 3,000, shared 1,600, outcomes 50, credits −100.
    # For results: (1,600 + 50) / (3,000 + 3,000 + 1,600 + 50) = 21.6 %.
    assert gbp.mix == D("21.6")
    assert [month.mix for month in gbp.months[:4]] == [D("21.6"), D("20.0"), D("23.1"), None]
    assert len(gbp.months) == 12
    assert [(row.contract.reference, row.totals.total) for row in gbp.contracts] == [("VAL-GBP-001", D(7550))]
    assert parts["EUR"].mix == D("20.0")  # 250 / 1,250
    assert portfolio(buyer_id=world["gbp"].buyer_id, year=2025) == []


def test_the_portfolio_reads_in_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    """More contracts, some corrected, cost no more queries."""
    buyer_id = world["gbp"].buyer_id
    with django_assert_max_num_queries(12) as few:
        portfolio(buyer_id=buyer_id, year=2026)
    for index in range(8):
        contract = value_contract(f"VAL-MANY-{index:03d}")
        issued(
            priced(
                contract,
                "2026-01",
                f"many-{index}.csv",
                contacts_voice=10,
                contacts_total=10,
                cost_to_serve=30,
            )
        )
        if index % 2:
            issued(priced(contract, "2026-01", f"many-{index}-fix.csv", cost_to_serve=20))
    assert Contract.objects.filter(buyer_id=buyer_id).count() == 10
    with django_assert_max_num_queries(len(few.captured_queries)):
        parts = portfolio(buyer_id=buyer_id, year=2026)
    gbp = next(part for part in parts if part.currency == "GBP")
    assert len(gbp.contracts) == 9
