"""Rolling 12-month caps on service credits, with carry-forward or forfeit; earn-back that
waits for an earlier month's document."""

import pytest

from pricing.period import Period
from pricing.result import FlagCode, LineKind
from pricing.terms import CreditKpi, Excess, FixedFee, ServiceCredit

from .builders import D, flag_codes, price_months

JAN, FEB, MAR, APR, MAY = (Period(2026, m) for m in range(1, 6))
FEE = FixedFee("mgmt", D("10000"))


def sla(excess, rolling="5", earn_back=None):
    return ServiceCredit(
        "sla",
        (CreditKpi("service_level", D("80"), credit_percent=D("10")),),
        D("20"),
        earn_back_months=earn_back,
        rolling_cap_percent=D(rolling),
        excess=excess,
    )


def service_levels(*values):
    return {JAN.shift(i): {"service_level": v} for i, v in enumerate(values)}


def credits(statement):
    return [line.amount for line in statement.lines if line.kind == LineKind.SERVICE_CREDIT]


@pytest.mark.parametrize(
    ("excess", "expected"),
    [
        # Charges 10,000 a month, credit 10 % = 1,000 per miss, rolling cap 5 % of the window's
        # charges: January's cap 500 (one month), February's 1,000 with 500 levied before.
        # Forfeit: 500 levied each month, the other 500 dropped; March and April meet the target.
        (Excess.FORFEIT, {JAN: [D("-500.00")], FEB: [D("-500.00")], MAR: [], APR: [], MAY: []}),
        # Carry forward: January carries 500; February levies it (room 500) and carries its own
        # 1,000 (a 0.00 line says so); March's room 1,500 − 1,000 = 500 levies half of it,
        # April's the rest; May owes nothing. Levied in all: 2,000 = the two credits.
        (
            Excess.CARRY_FORWARD,
            {
                JAN: [D("-500.00")],
                FEB: [D("-500.00"), D("0.00")],
                MAR: [D("-500.00")],
                APR: [D("-500.00")],
                MAY: [],
            },
        ),
    ],
)
def test_rolling_cap_levies_within_the_window_and_carries_or_forfeits_the_rest(excess, expected):
    priced = price_months(FEE, sla(excess), months=service_levels("70", "70", "90", "90", "90"))
    assert {period: credits(statement) for period, statement in priced.items()} == expected


def test_the_window_is_the_month_and_the_eleven_before():
    # 13 months of charges 10,000; a miss only in the 13th (2027-01): its window is
    # 2026-02..2027-01, 12 months, cap 5 % of 120,000 = 6,000, so the 1,000 credit fits.
    values = {JAN.shift(i): {"service_level": "90"} for i in range(12)} | {
        Period(2027, 1): {"service_level": "70"}
    }
    january = price_months(FEE, sla(Excess.FORFEIT), months=values)[Period(2027, 1)]
    (line,) = [line for line in january.lines if line.kind == LineKind.SERVICE_CREDIT]
    assert line.amount == D("-1000.00")
    assert "rolling 12 months 2026-02..2027-01 cap 5% of charges 120,000.00 = 6,000.00" in line.explanation


@pytest.mark.parametrize(
    ("excess", "period", "explanation"),
    [
        # Forfeit says how much was dropped.
        (
            Excess.FORFEIT,
            JAN,
            "service_level 70 missed target 80; 10% of charges 10,000.00; rolling 12 months 2026-01 cap 5% of "
            "charges 10,000.00 = 500.00, levied before this month 0.00, room 500.00: 500.00 levied, "
            "500.00 forfeited → -500.00",
        ),
        # A carried credit names its month of origin and what is still carried.
        (
            Excess.CARRY_FORWARD,
            MAR,
            "Credit for service_level carried forward from 2026-02: 1,000.00 owed; rolling 12 months "
            "2026-01..2026-03 cap 5% of charges 30,000.00 = 1,500.00, levied before this month 1,000.00, "
            "room 500.00: 500.00 levied, 500.00 still carried → -500.00",
        ),
    ],
)
def test_rolling_cap_lines_explain_window_cap_and_what_was_levied(excess, period, explanation):
    priced = price_months(FEE, sla(excess), months=service_levels("70", "70", "90"))
    first = next(line for line in priced[period].lines if line.kind == LineKind.SERVICE_CREDIT)
    assert first.explanation == explanation
    assert FlagCode.ROLLING_CAP_REACHED in flag_codes(priced[JAN])


def test_a_carried_balance_is_levied_as_room_appears_and_kept_on_the_lines():
    # Cap 1 %: January's room is 100 of a 1,000 credit; February and March meet the target and
    # have 100 of room each; a 0.00 line never appears while something is levied.
    priced = price_months(
        FEE, sla(Excess.CARRY_FORWARD, rolling="1"), months=service_levels("70", "90", "90")
    )
    assert [credits(priced[p]) for p in (JAN, FEB, MAR)] == [[D("-100.00")], [D("-100.00")], [D("-100.00")]]
    assert priced[MAR].lines[-1].detail["carried"] == "2026-01|service_level|700.00"


def test_earn_back_waiting_for_an_earlier_month_is_flagged_naming_it():
    # Earn-back after one month: February earns back January's credit, but January is not
    # issued, so February is flagged and pays nothing yet; issued, it pays the 1,000 back.
    component = ServiceCredit(
        "sla", (CreditKpi("service_level", D("80"), credit_percent=D("10")),), D("20"), earn_back_months=1
    )
    values = service_levels("70", "90")
    waiting = price_months(FEE, component, months=values, issued=set())[FEB]
    assert FlagCode.EARN_BACK_PENDING in flag_codes(waiting)
    assert "waits for 2026-01 to be issued" in next(
        f.message for f in waiting.flags if f.code == "earn_back_pending"
    )
    assert not [line for line in waiting.lines if line.kind == LineKind.EARN_BACK]
    issued = price_months(FEE, component, months=values)[FEB]
    assert FlagCode.EARN_BACK_PENDING not in flag_codes(issued)
    assert [line.amount for line in issued.lines if line.kind == LineKind.EARN_BACK] == [D("1000.00")]


def test_earn_back_is_not_waiting_when_the_earlier_month_met_every_target():
    component = ServiceCredit(
        "sla", (CreditKpi("service_level", D("80"), credit_percent=D("10")),), D("20"), earn_back_months=1
    )
    february = price_months(FEE, component, months=service_levels("90", "90"), issued=set())[FEB]
    assert FlagCode.EARN_BACK_PENDING not in flag_codes(february)


def test_earn_back_is_not_waiting_for_a_month_with_nothing_measured():
    component = ServiceCredit(
        "sla", (CreditKpi("service_level", D("80"), credit_percent=D("10")),), D("20"), earn_back_months=1
    )
    values = {JAN: {}, FEB: {"service_level": D("90")}}
    february = price_months(FEE, component, months=values, issued=set())[FEB]
    assert FlagCode.EARN_BACK_PENDING not in flag_codes(february)
