"""A whole month: evaluation order, rounding modes, tax, credit notes, currencies, worked month."""

from decimal import Decimal

import pytest

from pricing.money import Rounding, round_money, to_decimal
from pricing.result import DocumentType, LineKind
from pricing.terms import (
    Band,
    CreditKpi,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    OutcomeFee,
    ServiceCredit,
    UnitRate,
)

from .builders import D, price


# Each line is rounded once, with the contract's rounding mode.
@pytest.mark.parametrize(
    ("amount", "half_up", "half_even"),
    [
        ("0.005", "0.01", "0.00"),
        ("0.015", "0.02", "0.02"),
        ("0.025", "0.03", "0.02"),
        ("-0.005", "-0.01", "0.00"),
        ("1.0049", "1.00", "1.00"),
    ],
)
def test_rounding_modes(amount, half_up, half_even):
    fee = FixedFee("fee", D(amount))
    assert price(fee, rounding=Rounding.HALF_UP).lines[0].amount == D(half_up)
    assert price(fee, rounding=Rounding.HALF_EVEN).lines[0].amount == D(half_even)


def test_negative_zero_is_normalised():
    assert str(round_money(D("-0.001"), decimal_places=2, rounding=Rounding.HALF_UP)) == "0.00"


# Tax on net, gross = net + tax; a negative net is a credit note.
@pytest.mark.parametrize(
    ("fees", "tax_rate", "net", "tax", "gross", "document_type"),
    [
        (["100.00"], "20", "100.00", "20.00", "120.00", DocumentType.INVOICE),
        (["0.99", "0.99", "0.99"], "20", "2.97", "0.59", "3.56", DocumentType.INVOICE),  # VAT on the total
        (["0.03"], "17.5", "0.03", "0.01", "0.04", DocumentType.INVOICE),  # 0.00525 rounds up
        (["-250.00"], "20", "-250.00", "-50.00", "-300.00", DocumentType.CREDIT_NOTE),
        (["0.00"], "20", "0.00", "0.00", "0.00", DocumentType.INVOICE),
        (["100.00"], "0", "100.00", "0.00", "100.00", DocumentType.INVOICE),
    ],
)
def test_totals_and_document_type(fees, tax_rate, net, tax, gross, document_type):
    statement = price(*(FixedFee(f"fee{i}", D(a)) for i, a in enumerate(fees)), tax_rate=tax_rate)
    assert (statement.net, statement.tax, statement.gross) == (D(net), D(tax), D(gross))
    assert statement.document_type == document_type


# Currencies with 0 and 3 decimal places: every amount has exactly the currency's places.
@pytest.mark.parametrize(("currency", "places", "expected"), [("JPY", 0, "1235"), ("BHD", 3, "1234.568")])
def test_currency_minor_units(currency, places, expected):
    statement = price(FixedFee("fee", D("1234.5675")), currency=currency, decimal_places=places)
    assert str(statement.lines[0].amount) == expected
    assert -statement.tax.as_tuple().exponent == places


def test_floats_are_refused():
    with pytest.raises(TypeError, match="float"):
        to_decimal(0.1)
    assert to_decimal("12345678901234567.891") == Decimal("12345678901234567.891")


def worked_month(gate=None, nps="26"):
    """domain.md §5.3's month, priced under PRICING.md's rules (see docs/pricing.md)."""
    return price(
        FixedFee("mgmt", D("60000.00")),
        UnitRate(
            "voice",
            "contacts_voice",
            (Band(D(10000), D("3.00")), Band(D(25000), D("2.50")), Band(None, D("2.00"))),
        ),
        OutcomeFee("saves", "customers_retained", D("25.00"), clawback_measure="saves_reversed"),
        ServiceCredit("sla", (CreditKpi("service_level", D(80), per_point_percent=D(1)),), D(12)),
        ExperienceBonus(
            "experience",
            (
                ExperienceKpi("csat", D(40), D(80), D(85), D(90)),
                ExperienceKpi("fcr", D(30), D(70), D(75), D(80)),
                ExperienceKpi("nps", D(30), D(20), D(30), D(40)),
            ),
            pool_percent=D(3),
            gate=gate,
        ),
        kpis={
            "contacts_voice": "27500",
            "customers_retained": "1920",
            "saves_reversed": "60",
            "service_level": "76.5",
            "csat": "87",
            "fcr": "77",
            "nps": nps,
        },
    )


def test_worked_month_line_by_line():
    # Charges are fixed fees, unit rates and top-ups only (PRICING.md): 60,000 + 72,500 = 132,500.
    statement = worked_month()
    assert [(str(line.kind), line.amount) for line in statement.lines] == [
        ("fixed_fee", D("60000.00")),
        ("unit_rate", D("72500.00")),
        ("outcome_fee", D("48000.00")),
        ("outcome_clawback", D("-1500.00")),
        ("service_credit", D("-3975.00")),  # 3 full points × 1 % × 132,500
        ("experience_bonus", D("4293.00")),  # 3 % × 132,500 × 1.08
    ]
    assert (statement.net, statement.tax, statement.gross) == (D("179318.00"), D("35863.60"), D("215181.60"))


def test_worked_month_with_gate():
    # Every experience KPI is at or above its threshold: the gate passes and the bonus stays.
    assert worked_month(gate="all_thresholds").net == D("179318.00")
    # NPS below its threshold: the gate withholds the whole bonus (4,293.00 → 0.00).
    statement = worked_month(gate="all_thresholds", nps="19")
    bonus = [line.amount for line in statement.lines if line.kind == LineKind.EXPERIENCE_BONUS]
    assert bonus == [D("0.00")]
    assert (statement.net, statement.tax, statement.gross) == (D("175025.00"), D("35005.00"), D("210030.00"))


def test_lines_follow_evaluation_order_charges_first():
    # The credit component is listed first in the terms but is priced on the month's charges.
    statement = price(
        ServiceCredit("sla", (CreditKpi("service_level", D(80), credit_percent=D(10)),), D(12)),
        FixedFee("fee", D("1000.00")),
        kpis={"service_level": "70"},
    )
    assert [(str(line.kind), line.amount) for line in statement.lines] == [
        ("fixed_fee", D("1000.00")),
        ("service_credit", D("-100.00")),
    ]
