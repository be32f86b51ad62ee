"""The incentive-alignment check: one step per KPI, its verdict, and the traps it names."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.alignment import KpiFacts, Verdict, alignment_check, kpi_step, step_size
from pricing.components import Direction
from pricing.period import Period
from pricing.terms import (
    Band,
    CreditKpi,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    GainShare,
    PricingInput,
    ServiceCredit,
    UnitRate,
)

from .builders import JUNE, D, terms

UP, DOWN = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
# The catalogue's facts as the billing layer passes them (contact volumes: fewer is better).
FACTS = {
    "contacts_voice": KpiFacts(DOWN, "count", D(0), volume=True),
    "contacts_chat": KpiFacts(DOWN, "count", D(0), volume=True),
    "contacts_total": KpiFacts(DOWN, "count", D(0), volume=True),
    "cost_to_serve": KpiFacts(DOWN, "money", D(0)),
    "fcr": KpiFacts(UP, "percent", D(0), D(100)),
    "csat": KpiFacts(UP, "percent", D(0), D(100)),
    "nps": KpiFacts(UP, "score", D(-100), D(100)),
    "ces": KpiFacts(DOWN, "score", D(1), D(7)),
    "service_level": KpiFacts(UP, "percent", D(0), D(100)),
    "aht_seconds": KpiFacts(DOWN, "seconds", D(0)),
}
PARTS = {"contacts_total": ("contacts_voice", "contacts_chat")}
DEMAND = frozenset({"fcr", "repeat_contact_rate", "cost_to_serve"})

PER_CALL = UnitRate("voice", "contacts_voice", (Band(None, D("3.00")),))
FEE = FixedFee("mgmt", D("100000.00"))


def cost_share(cap=None):
    return GainShare(
        "savings",
        "cost_to_serve",
        baseline_unit_cost=D("4.00"),
        volume_measure="contacts_total",
        supplier_percent=D(50),
        cap=cap,
    )


def scorecard(*, gate=None, csat_weight="60", fcr_weight="30", pool="2"):
    return ExperienceBonus(
        "experience",
        (
            ExperienceKpi("csat", D(csat_weight), D(80), D(85), D(90)),
            ExperienceKpi("fcr", D(fcr_weight), D(70), D(75), D(80)),
        ),
        pool_percent=D(pool),
        gate=gate,
    )


SLA = ServiceCredit("sla", (CreditKpi("service_level", D(80), credit_percent=D(5)),), D(12))
MONTH = {"contacts_voice": "20000", "contacts_chat": "0", "contacts_total": "20000", "cost_to_serve": "70000"}


def month(*components, kpis=None, period=JUNE) -> PricingInput:
    values = {code: D(v) for code, v in (kpis or MONTH).items()}
    return PricingInput(period=period, terms=terms(*components), kpis=values)


def check(*components, kpis=None, history=None):
    inp = month(*components, kpis=kpis)
    return alignment_check(inp, kpis=FACTS, parts=PARTS, history=history or (), demand_kpis=DEMAND)


def verdicts(report) -> dict[str, tuple[Verdict, Decimal]]:
    return {s.step.kpi: (s.verdict, s.pay_change) for s in report.sensitivities}


def trap_codes(report) -> set[str]:
    return {trap.code for trap in report.traps}


CASES = [
    # Per-call only: fewer contacts (1,000 = 5 % of 20,000) cost the supplier 3,000.00; nothing
    # rewards fewer contacts, so the volume trap is named.
    pytest.param(
        (PER_CALL,),
        None,
        {"contacts_voice": (Verdict.MISALIGNED, D("-3000.00"))},
        {"volume_pay"},
        id="per-call",
    ),
    # Per-call plus gain-share on cost per contact: cost to serve 5 % lower (3,500) pays half of
    # it; contacts are still misaligned (fewer calls and a smaller baseline), but a KPI that
    # removes cost is rewarded, so no volume trap.
    pytest.param(
        (PER_CALL, cost_share()),
        None,
        {
            "cost_to_serve": (Verdict.ALIGNED, D("1750.00")),
            "contacts_voice": (Verdict.MISALIGNED, D("-5000.00")),
        },
        set(),
        id="per-call-and-cost-per-contact-gain-share",
    ),
    # Fixed fee only: the contact volume and FCR measured in the month are checked although the
    # terms do not read them; nothing moves the pay.
    pytest.param(
        (FEE,),
        {**MONTH, "fcr": "72"},
        {
            "contacts_total": (Verdict.INDIFFERENT, D("0.00")),
            "contacts_voice": (Verdict.INDIFFERENT, D("0.00")),
            "cost_to_serve": (Verdict.INDIFFERENT, D("0.00")),
            "fcr": (Verdict.INDIFFERENT, D("0.00")),
        },
        set(),
        id="fixed-fee-only",
    ),
    # Credits at risk (12 % of 100,000) are more than twice the best experience payout
    # (2 % pool × 1.5 = 3,000): flagged; one service-level point above a missed target
    # earns the 5 % credit back.
    pytest.param(
        (FEE, SLA, scorecard(gate="all_thresholds")),
        {"service_level": "79.5", "csat": "86", "fcr": "76"},
        {
            "service_level": (Verdict.ALIGNED, D("5000.00")),
            "csat": (Verdict.ALIGNED, D("133.33")),  # 0.1 of payout × 60/90 × pool 2,000
            "fcr": (Verdict.ALIGNED, D("66.67")),  # 0.1 × 30/90 × 2,000
        },
        {"credits_exceed_bonus"},
        id="credits-at-risk-exceed-bonus",
    ),
    # A scorecard without a gate where CSAT at stretch (60 × 0.5 = 30) makes up for FCR at 0
    # (weight 30): flagged; FCR below threshold while the bonus paid: flagged too.
    pytest.param(
        (FEE, SLA, scorecard(pool="6")),
        {"service_level": "85", "csat": "90", "fcr": "60"},
        {
            "csat": (Verdict.INDIFFERENT, D("0.00")),
            "fcr": (Verdict.INDIFFERENT, D("0.00")),
            "service_level": (Verdict.INDIFFERENT, D("0.00")),
        },
        {"experience_buyable", "experience_paid_below_threshold"},
        id="experience-buyable-without-gate",
    ),
    # The same scorecard behind the gate: no bonus with FCR below threshold, and no trap.
    pytest.param(
        (FEE, SLA, scorecard(pool="6", gate="all_thresholds")),
        {"service_level": "85", "csat": "90", "fcr": "60"},
        {
            "csat": (Verdict.INDIFFERENT, D("0.00")),
            "fcr": (Verdict.INDIFFERENT, D("0.00")),
            "service_level": (Verdict.INDIFFERENT, D("0.00")),
        },
        set(),
        id="experience-behind-gate",
    ),
]


@pytest.mark.parametrize(("components", "kpis", "expected", "traps"), CASES)
def test_crafted_terms_get_the_expected_verdicts_and_traps(components, kpis, expected, traps):
    report = check(*components, kpis=kpis)
    found = verdicts(report)
    for code, verdict in expected.items():
        assert found[code] == verdict, code
    assert trap_codes(report) == traps


def test_a_gain_share_cap_reached_in_most_months_is_flagged_and_the_step_is_indifferent():
    # 20,000 contacts × 4.00 − 50,000 = 30,000 saved, 50 % = 15,000 > the 10,000 cap every month.
    capped = cost_share(cap=D("10000.00"))
    kpis = {**MONTH, "cost_to_serve": "50000"}
    history = [month(PER_CALL, capped, kpis=kpis, period=JUNE.shift(-back)) for back in range(3)]
    report = check(PER_CALL, capped, kpis=kpis, history=history)
    assert verdicts(report)["cost_to_serve"] == (Verdict.INDIFFERENT, D("0.00"))
    (trap,) = [t for t in report.traps if t.code == "cap_binding"]
    assert trap.numbers["months_at_cap"] == "3" and trap.numbers["months"] == "3"
    assert "10,000.00 in 3 of 3 months (100 %)" in trap.message


def test_a_cap_reached_in_fewer_than_half_the_months_is_not_flagged():
    capped = cost_share(cap=D("10000.00"))
    under = month(PER_CALL, capped, kpis=MONTH, period=JUNE.shift(-1))  # 5,000 saved: under the cap
    over = month(PER_CALL, capped, kpis={**MONTH, "cost_to_serve": "50000"}, period=JUNE.shift(-2))
    report = check(PER_CALL, capped, history=[under, under, over])
    assert "cap_binding" not in trap_codes(report)


STEPS = [
    # Percent KPIs: one point, never past 100.
    ("fcr", "72", "73", FACTS["fcr"], None),
    ("fcr", "99.6", "100", FACTS["fcr"], None),
    # Scores with a range: 2.5 % of it (NPS 5 points; effort 0.15, lower is better).
    ("nps", "30", "35", FACTS["nps"], None),
    ("ces", "3.2", "3.05", FACTS["ces"], None),
    # Counts: 5 %, whole units, at least one; money and seconds: 5 % exact.
    ("contacts_voice", "20010", "19009", FACTS["contacts_voice"], None),
    ("contacts_voice", "3", "2", FACTS["contacts_voice"], None),
    ("cost_to_serve", "70000.10", "66500.095", FACTS["cost_to_serve"], None),
    ("aht_seconds", "300", "285", FACTS["aht_seconds"], None),
    # A step given by the caller replaces the rule.
    ("fcr", "72", "74.5", FACTS["fcr"], D("2.5")),
]


@pytest.mark.parametrize(("code", "value", "moved", "facts", "override"), STEPS)
def test_the_step_rule(code, value, moved, facts, override):
    step = kpi_step(code, {code: D(value)}, facts, override=override)
    assert step.moved == D(moved)


def test_a_part_moves_its_total_and_a_total_moves_its_parts_in_proportion():
    values = {"contacts_voice": D(15000), "contacts_chat": D(5000), "contacts_total": D(20000)}
    part = kpi_step("contacts_voice", values, FACTS["contacts_voice"], parts=PARTS)
    assert part.moved_with == (("contacts_total", D(20000), D(19250)),)
    total = kpi_step("contacts_total", values, FACTS["contacts_total"], parts=PARTS)
    assert {code: moved for code, _, moved in total.moved_with} == {
        "contacts_voice": D(14250),
        "contacts_chat": D(4750),
    }


@pytest.mark.parametrize(
    ("code", "values", "facts", "reason"),
    [
        # Nothing to move from, no way to know which way is better, nowhere better to go.
        ("fcr", {}, FACTS["fcr"], "not measured"),
        ("quality_score", {"quality_score": D(90)}, None, "no catalogue entry"),
        ("fcr", {"fcr": D(100)}, FACTS["fcr"], "best bound"),
        ("contacts_voice", {"contacts_voice": D(0)}, FACTS["contacts_voice"], "best bound"),
        ("cost_to_serve", {"cost_to_serve": D(0)}, FACTS["cost_to_serve"], "best bound"),
    ],
)
def test_a_kpi_that_cannot_be_moved_says_why(code, values, facts, reason):
    assert reason in kpi_step(code, values, facts).reason


def test_step_size_names_its_rule():
    assert step_size(D(50), FACTS["fcr"]) == (D(1), "1 percentage point")
    assert step_size(D(0), FACTS["cost_to_serve"])[0] == 0


# --- Invariants --------------------------------------------------------------------------------
values = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=10**6).map(Decimal)
money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
maybe = st.one_of(st.none(), money)
components = st.lists(
    st.one_of(
        st.builds(FixedFee, st.just("fee"), money),
        st.builds(UnitRate, st.just("rate"), st.just("contacts_voice"), st.just((Band(None, D("2.50")),))),
        st.builds(
            GainShare,
            st.just("share"),
            st.just("cost_to_serve"),
            baseline_unit_cost=st.just(D("4.00")),
            volume_measure=st.just("contacts_total"),
            supplier_percent=values,
            cap=maybe,
        ),
        st.builds(
            lambda gate, w: scorecard(gate=gate, csat_weight=w),
            st.sampled_from([None, "all_thresholds"]),
            st.sampled_from(["10", "60"]),
        ),
        st.builds(ServiceCredit, st.just("sla"), st.just(SLA.kpis), values),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda c: c.id,
)


@settings(max_examples=120, deadline=None)
@given(
    parts=components,
    voice=counts,
    chat=counts,
    cost=money,
    scores=st.lists(st.one_of(st.none(), values), min_size=3, max_size=3),
)
def test_the_check_never_raises_and_its_verdict_has_the_sign_of_the_amount(parts, voice, chat, cost, scores):
    kpis = {
        "contacts_voice": voice,
        "contacts_chat": chat,
        "contacts_total": voice + chat,
        "cost_to_serve": cost,
    }
    kpis |= {
        code: v for code, v in zip(("csat", "fcr", "service_level"), scores, strict=True) if v is not None
    }
    report = alignment_check(
        PricingInput(period=Period(2026, 3), terms=terms(*parts), kpis=kpis),
        kpis=FACTS,
        parts=PARTS,
        demand_kpis=DEMAND,
    )
    for found in report.sensitivities:
        sign = (found.pay_change > 0) - (found.pay_change < 0)
        assert {1: Verdict.ALIGNED, -1: Verdict.MISALIGNED, 0: Verdict.INDIFFERENT}[sign] == found.verdict
        assert found.pay_change == found.moved_net - report.reference_net
    for trap in report.traps:
        assert trap.message and trap.code


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        # 12 % at risk of 100,000 against at most 2 % × 1.5 = 3,000 on top.
        ((FEE, SLA, scorecard(gate="all_thresholds")), {"credits_exceed_bonus"}),
        # A 50,000 savings cap against 12,000 at risk: the reverse.
        ((FEE, SLA, cost_share(cap=D("50000.00"))), {"bonus_exceeds_credits"}),
        # Nothing at risk and a capped share: the reverse too.
        ((FEE, cost_share(cap=D("50000.00"))), {"bonus_exceeds_credits"}),
        # An uncapped share has no maximum: credits are not said to exceed it.
        ((FEE, SLA, cost_share()), set()),
        # Within a factor 2 of each other: 12,000 at risk, a 10,000 cap.
        ((FEE, SLA, cost_share(cap=D("10000.00"))), set()),
    ],
)
def test_credits_at_risk_against_the_most_the_supplier_can_earn(components, expected):
    report = check(*components, kpis={**MONTH, "service_level": "85", "csat": "86", "fcr": "76"})
    assert trap_codes(report) & {"credits_exceed_bonus", "bonus_exceeds_credits"} == expected
