"""A late correction: the line-by-line difference from what was billed, its texts and totals."""

from decimal import Decimal

import pytest

from pricing.correction import correction
from pricing.money import Rounding
from pricing.result import DocumentType, Line, LineKind
from pricing.totals import statement_of

from .builders import D, terms

GBP = terms()


def priced(*lines, under=GBP):
    """A re-priced month of ``lines`` given as (component, kind, amount, explanation, KPI)."""
    return statement_of(
        [
            Line(component, LineKind(kind), D(amount), text, {"x": "1"}, kpi)
            for component, kind, amount, text, kpi in lines
        ],
        under,
    )


def billed(**amounts):
    """What was billed, keyed ``component__kind`` or ``component__kind__kpi``."""
    return {(*name.split("__"), "")[:3]: D(amount) for name, amount in amounts.items()}


def lines_of(result):
    return [
        (line.component_id, str(line.kind), line.amount, line.explanation, line.kpi) for line in result.lines
    ]


FEE = ("mgmt", "fixed_fee", "10000.00", "Fixed fee.", None)


# Nothing differs: no document at all.
@pytest.mark.parametrize(
    ("now", "before"),
    [
        ((FEE,), billed(mgmt__fixed_fee="10000.00")),
        ((FEE,), billed(mgmt__fixed_fee="10000.0000")),  # as read back from a 4-place column
        ((), {}),
    ],
)
def test_no_difference_is_no_correction(now, before):
    assert correction(priced(*now), before, GBP) is None


# One line up, down or gone: the difference, the was/now text and the new explanation.
@pytest.mark.parametrize(
    ("now", "before", "expected", "document_type"),
    [
        (
            (("voice", "unit_rate", "3500.00", "1,750 contacts at 2.00.", None),),
            billed(voice__unit_rate="3000.00"),
            [
                (
                    "voice",
                    "unit_rate",
                    D("500.00"),
                    "Correction: was 3,000.00, now 3,500.00. 1,750 contacts at 2.00.",
                    None,
                )
            ],
            DocumentType.INVOICE,
        ),
        (
            (("voice", "unit_rate", "2000.00", "1,000 contacts at 2.00.", None),),
            billed(voice__unit_rate="3000.00"),
            [
                (
                    "voice",
                    "unit_rate",
                    D("-1000.00"),
                    "Correction: was 3,000.00, now 2,000.00. 1,000 contacts at 2.00.",
                    None,
                )
            ],
            DocumentType.CREDIT_NOTE,
        ),
        (
            (),
            billed(top__minimum_top_up="1250.00"),
            [
                (
                    "top",
                    "minimum_top_up",
                    D("-1250.00"),
                    "Correction: was 1,250.00, now 0.00. No longer due.",
                    None,
                )
            ],
            DocumentType.CREDIT_NOTE,
        ),
        (
            (FEE, ("saves", "outcome_fee", "750.00", "30 saves at 25.00.", None)),
            billed(mgmt__fixed_fee="10000.00"),
            [
                (
                    "saves",
                    "outcome_fee",
                    D("750.00"),
                    "Correction: was 0.00, now 750.00. 30 saves at 25.00.",
                    None,
                )
            ],
            DocumentType.INVOICE,
        ),
    ],
    ids=["a line up", "a line down: a credit note", "a line no longer due", "a new line"],
)
def test_one_line_differs(now, before, expected, document_type):
    result = correction(priced(*now), before, GBP)
    assert lines_of(result) == expected
    assert result.net == sum(line.amount for line in result.lines)
    assert result.tax == (result.net * D("0.2")).quantize(D("0.01"))
    assert (result.gross, result.document_type, result.flags) == (result.net + result.tax, document_type, ())
    assert all(line.detail == {} for line in result.lines)


# Several keys: billed keys first in their order, then new keys in the pricing's order; the
# lines of one key are summed before comparing.
def test_several_lines_keep_the_billed_order_then_the_new():
    now = priced(
        ("new", "fixed_fee", "5.00", "New fee.", None),
        ("voice", "unit_rate", "100.00", "First band.", None),
        ("voice", "unit_rate", "60.00", "Second band.", None),
        FEE,
    )
    before = billed(mgmt__fixed_fee="9000.00", gone__fixed_fee="1.00", voice__unit_rate="150.00")
    assert lines_of(correction(now, before, GBP)) == [
        ("mgmt", "fixed_fee", D("1000.00"), "Correction: was 9,000.00, now 10,000.00. Fixed fee.", None),
        ("gone", "fixed_fee", D("-1.00"), "Correction: was 1.00, now 0.00. No longer due.", None),
        ("voice", "unit_rate", D("10.00"), "Correction: was 150.00, now 160.00. Second band.", None),
        ("new", "fixed_fee", D("5.00"), "Correction: was 0.00, now 5.00. New fee.", None),
    ]


# A zero-decimal currency: the texts and the tax have no minor unit.
def test_a_zero_decimal_currency():
    yen = terms(currency="JPY", decimal_places=0, tax_rate="10")
    result = correction(
        priced(("mgmt", "fixed_fee", "1000005", "Fixed fee.", None), under=yen),
        billed(mgmt__fixed_fee="1000000"),
        yen,
    )
    assert lines_of(result) == [
        ("mgmt", "fixed_fee", D("5"), "Correction: was 1,000,000, now 1,000,005. Fixed fee.", None)
    ]
    assert (result.net, result.tax, result.gross) == (D("5"), D("1"), D("6"))  # 0.5 rounds half up


# The tax of the difference is rounded once, with the contract's rounding mode.
@pytest.mark.parametrize(
    ("rounding", "difference", "tax"),
    [
        (Rounding.HALF_UP, "0.05", "0.01"),
        (Rounding.HALF_EVEN, "0.05", "0.00"),
        (Rounding.HALF_UP, "-0.05", "-0.01"),
        (Rounding.HALF_EVEN, "0.15", "0.02"),
    ],
)
def test_the_tax_of_the_difference_is_rounded(rounding, difference, tax):
    under = terms(rounding=rounding, tax_rate="10")
    result = correction(
        priced(("mgmt", "fixed_fee", str(D("100.00") + D(difference)), "Fee.", None), under=under),
        billed(mgmt__fixed_fee="100.00"),
        under,
    )
    assert (result.net, result.tax) == (D(difference), D(tax))


# Lines of one KPI are compared per KPI: a credit of one KPI does not offset another's.
def test_keys_with_a_kpi():
    now = priced(
        ("sla", "service_credit", "-500.00", "Service level missed.", "service_level"),
        ("sla", "service_credit", "-300.00", "Abandon rate missed.", "abandon_rate"),
    )
    before = billed(
        sla__service_credit__service_level="-500.00",
        sla__service_credit__abandon_rate="-200.00",
        sla__earn_back__service_level="100.00",
    )
    assert lines_of(correction(now, before, GBP)) == [
        (
            "sla",
            "service_credit",
            D("-100.00"),
            "Correction: was -200.00, now -300.00. Abandon rate missed.",
            "abandon_rate",
        ),
        (
            "sla",
            "earn_back",
            D("-100.00"),
            "Correction: was 100.00, now 0.00. No longer due.",
            "service_level",
        ),
    ]
    assert isinstance(correction(now, before, GBP).net, Decimal)
