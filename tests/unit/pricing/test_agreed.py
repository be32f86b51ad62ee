"""Amounts agreed on a supplier's query: one ``agreed`` line each, after every component,
rounded as any line, not a charge; an issued month re-priced with one differs by exactly it."""

from decimal import Decimal

import pytest

from pricing import price_period
from pricing.correction import correction, line_key
from pricing.money import Rounding
from pricing.result import DocumentType, LineKind
from pricing.terms import AgreedAmount, CreditKpi, FixedFee, PricingInput, ServiceCredit

from .builders import JUNE, D, terms

MGMT = (FixedFee("mgmt", D("1000.00")),)


def priced(*agreed: AgreedAmount, components=MGMT, **terms_kwargs):
    return price_period(
        PricingInput(period=JUNE, terms=terms(*components, **terms_kwargs), kpis={}, agreed=tuple(agreed))
    )


def test_an_agreed_amount_is_one_line_after_the_components():
    statement = priced(AgreedAmount("query-7", D("250.00"), "Agreed on query 7: line 2: voice unit rate."))
    assert [(line.component_id, line.kind) for line in statement.lines] == [
        ("mgmt", LineKind.FIXED_FEE),
        ("query-7", LineKind.AGREED),
    ]
    agreed = statement.lines[-1]
    assert (
        agreed.amount == D("250.00") and agreed.explanation == "Agreed on query 7: line 2: voice unit rate."
    )
    assert statement.net == D("1250.00") and statement.tax == D("250.00")


# Rounded once, with the contract's rounding mode, to its currency's places.
@pytest.mark.parametrize(
    ("amount", "places", "rounding", "expected"),
    [
        ("10.005", 2, Rounding.HALF_UP, "10.01"),
        ("10.005", 2, Rounding.HALF_EVEN, "10.00"),
        ("1234.5", 0, Rounding.HALF_UP, "1235"),
    ],
)
def test_an_agreed_amount_is_rounded_as_every_line(amount, places, rounding, expected):
    statement = priced(AgreedAmount("query-1", D(amount), "x"), decimal_places=places, rounding=rounding)
    assert statement.lines[-1].amount == D(expected)


def test_an_agreed_amount_is_not_a_charge_for_a_percent_of_charges_component():
    # Service level not measured: the credit is 10 % of the charges, 1,000.00, not of 1,500.00.
    sla = ServiceCredit("sla", (CreditKpi("service_level", D(80), credit_percent=D(10)),), D(12))
    components = (FixedFee("mgmt", D("1000.00")), sla)
    without = priced(components=components)
    with_agreed = priced(AgreedAmount("query-1", D("500.00"), "x"), components=components)
    assert [line.amount for line in with_agreed.lines[:-1]] == [line.amount for line in without.lines]
    assert with_agreed.lines[1].amount == D("-100.00")


def test_an_amount_agreed_back_can_make_a_credit_note():
    statement = priced(AgreedAmount("query-3", D("-1500.00"), "x"))
    assert statement.net == D("-500.00") and statement.document_type == DocumentType.CREDIT_NOTE


def test_the_correction_of_an_issued_month_is_the_agreed_amount_alone():
    issued = priced()
    billed: dict = {}
    for line in issued.lines:
        billed[line_key(line)] = billed.get(line_key(line), Decimal("0")) + line.amount
    again = priced(AgreedAmount("query-9", D("120.00"), "Agreed on query 9: the whole statement."))
    difference = correction(again, billed, terms(FixedFee("mgmt", D("1000.00"))))
    assert [(line.component_id, line.kind, line.amount) for line in difference.lines] == [
        ("query-9", LineKind.AGREED, D("120.00"))
    ]
    assert difference.lines[0].explanation.startswith("Correction: was 0.00, now 120.00. Agreed on query 9")
