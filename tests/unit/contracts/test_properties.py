"""Properties of the contract-file reader: any input gives the documented error or a contract,
and any contract within the documented bounds prices without a decimal error."""

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import checks
from contracts.components import EARN_BACK_MONTHS, component_to_pricing
from contracts.schema import ContractFileError, contract_file_validate, validate_contract
from contracts.yamlio import parse_document
from pricing import PricingError, price_period
from pricing.money import MAX_AMOUNT, Rounding
from pricing.period import Period
from pricing.terms import ContractTerms, PricingInput
from tests.unit.contracts.test_schema import CATALOGUE_INFO, GOOD

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CURRENCY_PLACES = {"GBP": 2, "JPY": 0, "KWD": 3}
JUNE = Period(2026, 6)


def read(content: bytes, file_name: str):
    """The contract, or ``None`` for a refused file; anything else raised fails the test."""
    try:
        return contract_file_validate(file_name=file_name, content=content, catalogue=CATALOGUE_INFO)
    except ContractFileError as error:
        assert error.lines() and all(line.startswith(f"{file_name}: ") for line in error.lines())
        assert len(error.lines()) <= checks.MAX_REPORTED + 1
        return None


def assert_within_columns(spec) -> None:
    """Every text of an accepted contract fits its column and holds no control character."""
    texts = [(spec.reference, checks.REFERENCE), (spec.title, checks.TITLE)]
    for party in (spec.buyer, spec.supplier):
        texts += [(party.name, checks.NAME), (party.vat_number, checks.VAT_NUMBER)]
        texts += [(party.address, checks.ADDRESS), (party.email, checks.EMAIL)]
        assert len(party.code) <= 10 and len(party.country) == 2
    for text, length in texts:
        assert len(text) <= length.maximum
        assert not any(checks._forbidden(c, multiline=length.multiline) for c in text)
    assert 0 <= spec.tax_rate <= 100 and -spec.tax_rate.as_tuple().exponent <= 2
    for version in spec.versions:
        assert len(version.effective_from) == 7
        assert all(len(component.id) <= 50 for component in version.components)


# -- arbitrary input: only the module's own error ------------------------------------------


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from(["c.yaml", "c.json"]))
def test_any_bytes_give_a_contract_file_error_or_a_contract(content, file_name):
    read(content, file_name)


@SETTINGS
@given(st.text(max_size=2000), st.sampled_from(["c.yaml", "c.json"]))
def test_any_text_gives_a_contract_file_error_or_a_contract(text, file_name):
    spec = read(text.encode("utf-8", "surrogatepass"), file_name)
    if spec is not None:
        assert_within_columns(spec)


@SETTINGS
@given(st.lists(st.sampled_from(list("[]{}:,- \n\"'&*!<>|%@`0.e9xa#?")), max_size=400))
def test_yaml_and_json_punctuation_soup_never_escapes_as_another_error(chars):
    for file_name in ("c.yaml", "c.json"):
        read("".join(chars).encode(), file_name)


LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats()
    | st.decimals()
    | st.text(max_size=30)
    | st.sampled_from(["1e400", "1E+400", "NaN", "-Infinity", "0x1F", "\x00", "\u202e", "3.00", "2026-01"])
)
VALUES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def mutate(data, document):
    """Replace, delete or add one value somewhere in ``document`` (in place)."""
    node = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
            node = child
            continue
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            node[key] = data.draw(VALUES)
        elif action == "delete":
            del node[key]
        elif isinstance(node, dict):
            node[data.draw(st.text(max_size=12))] = data.draw(VALUES)
        else:
            node.append(data.draw(VALUES))
        return


@SETTINGS
@given(st.data())
def test_a_mutated_valid_document_gives_a_contract_file_error_or_a_contract(data):
    document = parse_document(GOOD, file_name="acme.yaml")
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        mutate(data, document)
    try:
        spec = validate_contract(document, file_name="acme.yaml", catalogue=CATALOGUE_INFO)
    except ContractFileError as error:
        assert all(line.startswith("acme.yaml: ") for line in error.lines())
    else:
        assert_within_columns(spec)
    # The same document as a JSON file: floats and big integers now come from the parser.
    text = json.dumps(document, default=str)
    read(text.encode(), "acme.json")


def test_a_float_in_a_document_is_refused_as_inexact():
    document = parse_document(GOOD, file_name="acme.yaml")
    document["terms"][0]["components"][0]["amount"] = 15000.1
    with pytest.raises(ContractFileError) as caught:
        validate_contract(document, file_name="acme.yaml", catalogue=CATALOGUE_INFO)
    assert caught.value.lines() == [
        "acme.yaml: terms[0].components[0].amount: 15000.1 is a float, which is not exact: give the number as text"
    ]


# -- valid contracts at the bounds price without a decimal error -----------------------------


def number(bound: checks.NumberBound, *, low=None, high=None):
    """A decimal within ``bound`` (often exactly at an edge), written with at most its decimals."""
    low = bound.minimum if low is None else low
    high = bound.maximum if high is None else high
    step = Decimal(1).scaleb(-bound.decimals)
    if bound.above_minimum and low == bound.minimum:
        low += step
    inside = st.decimals(min_value=low, max_value=high, places=bound.decimals, allow_nan=False)
    return st.one_of(st.just(low), st.just(high), inside).map(str)


@st.composite
def ascending(draw, bound: checks.NumberBound, count: int):
    values = sorted({Decimal(draw(number(bound))) for _ in range(count)})
    return [str(v) for v in values]


@st.composite
def contract_at_bounds(draw):
    money, price, percent = checks.MONEY, checks.PRICE, checks.PERCENT
    limits = draw(ascending(checks.BAND_LIMIT, draw(st.integers(1, 5))))
    bands = [{"up_to": limit, "price": draw(number(price))} for limit in limits]
    bands.append({"up_to": None, "price": draw(number(price))})
    share_limits = draw(ascending(percent, 2))
    csat = draw(ascending(checks.KPI_VALUE, 3))  # higher is better: threshold ≤ target ≤ stretch
    asa = list(reversed(draw(ascending(checks.KPI_VALUE, 3))))  # lower is better
    while len(csat) < 3:
        csat.append(csat[-1])
    while len(asa) < 3:
        asa.append(asa[-1])
    baseline = (
        {"baseline_unit_cost": draw(number(price)), "volume_measure": "contacts_total"}
        if draw(st.booleans())
        else {"baseline_amount": draw(number(money))}
    )
    share = (
        {"supplier_percent": draw(number(percent))}
        if draw(st.booleans())
        else {
            "share_bands": [
                {"up_to_percent_of_baseline": share_limits[0], "supplier_percent": draw(number(percent))},
                {"up_to_percent_of_baseline": None, "supplier_percent": draw(number(percent))},
            ]
        }
    )
    pool = (
        {"pool_percent": draw(number(percent))}
        if draw(st.booleans())
        else {"pool_amount": draw(number(money))}
    )
    components = [
        {"id": "fee", "type": "fixed_fee", "amount": draw(number(money))},
        {"id": "voice", "type": "unit_rate", "measure": "contacts_voice", "bands": bands,
         "mode": draw(st.sampled_from(["graduated", "volume"])), "minimum_charge": draw(number(money))},
        {"id": "savings", "type": "gain_share", "actual_measure": "cost_to_serve", **baseline, **share,
         "cap": draw(number(money)), "pain_percent": draw(number(percent)), "pain_cap": draw(number(money))},
        {"id": "uplift", "type": "revenue_share", "baseline_amount": draw(number(money)),
         "actual_measure": "retention_revenue", "supplier_percent": draw(number(percent))},
        {"id": "saves", "type": "outcome_fee", "measure": "customers_retained", "fee": draw(number(price)),
         "threshold": draw(number(checks.QUANTITY)), "clawback_measure": "saves_reversed"},
        {"id": "cx", "type": "experience_bonus", **pool, "kpis": [
            {"kpi": "csat", "weight": draw(number(checks.WEIGHT, low=Decimal(1))),
             "threshold": csat[0], "target": csat[1], "stretch": csat[2],
             "threshold_payout": draw(number(checks.PAYOUT)), "stretch_payout": draw(number(checks.PAYOUT))},
            {"kpi": "asa_seconds", "weight": draw(number(checks.WEIGHT)),
             "threshold": asa[0], "target": asa[1], "stretch": asa[2]},
        ]},
        {"id": "sla", "type": "service_credit", "at_risk_percent": draw(number(percent)),
         "earn_back_months": draw(st.integers(*EARN_BACK_MONTHS)), "kpis": [
            {"kpi": "service_level", "target": draw(number(checks.KPI_VALUE)),
             "credit_percent": draw(number(percent))},
            {"kpi": "abandon_rate", "target": draw(number(checks.KPI_VALUE)),
             "per_point_percent": draw(number(percent))},
        ]},
    ]  # fmt: skip
    return {
        "reference": "R" * 50,
        "title": "T" * 200,
        "buyer": {"name": "B" * 200, "country": "GB", "vat_number": "V" * 40},
        "supplier": {"name": "S" * 200, "country": "GB", "address": "A\n" * 250},
        "currency": draw(st.sampled_from(sorted(CURRENCY_PLACES))),
        "tax_rate": draw(number(checks.TAX_PERCENT)),
        "rounding": draw(st.sampled_from(["half_up", "half_even"])),
        "start": date(2026, 6, draw(st.integers(1, 30))),
        "payment_terms_days": 365,
        "terms": [{"effective_from": "2026-01", "components": components}],
    }


def pricing_input(spec, kpis) -> PricingInput:
    components = tuple(
        component_to_pricing(component_id=c.id, type_=c.type, params=c.params, catalogue=CATALOGUE_INFO)
        for c in spec.versions[0].components
    )
    terms = ContractTerms(
        currency=spec.currency,
        decimal_places=CURRENCY_PLACES[spec.currency],
        rounding=Rounding(spec.rounding),
        tax_rate=spec.tax_rate,
        start_date=spec.start_date,
        end_date=spec.end_date,
        components=components,
    )
    return PricingInput(period=JUNE, terms=terms, kpis=kpis)


def kpi_values(counts, money, ratios):
    """One month's KPI values: counts up to ``counts``, money up to ``money``, ratios within ±``ratios``."""
    count = st.decimals(min_value=0, max_value=counts, places=4).map(Decimal)
    amount = st.decimals(min_value=0, max_value=money, places=2).map(Decimal)
    ratio = st.decimals(min_value=-ratios, max_value=ratios, places=4).map(Decimal)
    edges = lambda values, top: st.one_of(st.just(Decimal(top)), st.just(Decimal(0)), values)  # noqa: E731
    return st.fixed_dictionaries(
        {
            "contacts_voice": edges(count, counts),
            "contacts_total": edges(count, counts),
            "customers_retained": edges(count, counts),
            "saves_reversed": edges(count, counts),
            "cost_to_serve": edges(amount, money),
            "retention_revenue": edges(amount, money),
            "csat": ratio,
            "asa_seconds": ratio,
            "service_level": ratio,
            "abandon_rate": ratio,
        }
    )


def assert_statement_fits(statement, places: int) -> None:
    for amount in [line.amount for line in statement.lines] + [statement.net, statement.tax]:
        assert abs(amount) < MAX_AMOUNT and -amount.as_tuple().exponent == places
    assert abs(statement.gross) < Decimal(10) ** 16  # Statement.gross is numeric(20, 4)
    assert statement.net == sum(line.amount for line in statement.lines)


# KPI volumes of up to 10^7 units and 10^10 of money a month: the range docs/contract-file.md
# states for the guarantee that a contract within its bounds always prices.
@SETTINGS
@given(contract_at_bounds(), kpi_values(counts=10**7, money=10**10, ratios=10**9))
def test_a_contract_within_the_bounds_always_prices_into_a_statement_that_fits(document, kpis):
    spec = validate_contract(document, file_name="bounds.yaml", catalogue=CATALOGUE_INFO)
    statement = price_period(pricing_input(spec, kpis))
    assert_statement_fits(statement, CURRENCY_PLACES[spec.currency])


@SETTINGS
@given(contract_at_bounds(), kpi_values(counts=10**40, money=10**40, ratios=10**40))
def test_extreme_kpi_values_price_or_give_a_pricing_error_never_a_decimal_error(document, kpis):
    spec = validate_contract(document, file_name="bounds.yaml", catalogue=CATALOGUE_INFO)
    try:
        statement = price_period(pricing_input(spec, kpis))
    except PricingError as error:
        assert "beyond what a statement holds" in str(error)
    else:
        assert_statement_fits(statement, CURRENCY_PLACES[spec.currency])


def test_a_per_point_credit_of_a_huge_shortfall_is_limited_to_the_at_risk_amount():
    document = parse_document(GOOD, file_name="acme.yaml")
    sla = document["terms"][0]["components"][6]
    sla["kpis"] = [{"kpi": "abandon_rate", "target": "0", "per_point_percent": "100"}]
    spec = validate_contract(document, file_name="acme.yaml", catalogue=CATALOGUE_INFO)
    kpis = {"contacts_voice": Decimal(5000), "abandon_rate": Decimal(10**15)}  # 10^15 points × 100 %
    statement = price_period(pricing_input(spec, kpis))
    credits = [line.amount for line in statement.lines if line.kind == "service_credit"]
    # charges: 15,000.00 fixed + 20,000.00 minimum; at risk 12 % of 35,000.00
    assert credits == [Decimal("-4200.00")]
