"""Contract files written before the multi-month terms (every fixture and golden file)
import as they did and price as they did: the history that multi-month terms read (earlier
months' lines, charges and KPI values) changes nothing on a component without those keys."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.components import component_to_pricing
from contracts.schema import validate_contract
from contracts.yamlio import parse_document
from pricing import price_period
from pricing.money import Rounding
from pricing.period import Period
from pricing.result import WAITING_FLAGS, Line
from pricing.terms import ContractTerms, PricingInput, PriorLine

from .test_schema import CATALOGUE_INFO

ROOT = Path(__file__).resolve().parents[3]
FILES = sorted([*ROOT.glob("fixtures/contracts/*.yaml"), *ROOT.glob("tests/golden/*/contract.yaml")])
MULTI_MONTH_KEYS = {"settlement", "annual_cap", "rolling_cap_percent", "excess"}
# Month values by KPI unit: one set that misses most targets, one that meets them.
LOW = {"count": "12000", "money": "150000", "percent": "72", "seconds": "300", "score": "2"}
HIGH = {"count": "30000", "money": "90000", "percent": "96", "seconds": "20", "score": "4.5"}


def month_values(by_unit):
    return {code: Decimal(by_unit[info.unit]) for code, info in CATALOGUE_INFO.items()}


def priced(spec, version, kpis, *, history: bool):
    period = Period.parse(version.effective_from).shift(3)
    earlier = [period.shift(-back) for back in range(1, 13)]
    terms = ContractTerms(
        currency=spec.currency,
        decimal_places=2,
        rounding=Rounding(spec.rounding),
        tax_rate=spec.tax_rate,
        start_date=min(spec.start_date, date(period.year - 1, 1, 1)),
        end_date=None,
        components=tuple(
            component_to_pricing(component_id=c.id, type_=c.type, params=c.params, catalogue=CATALOGUE_INFO)
            for c in version.components
        ),
    )
    extra = {}
    if history:
        extra = {
            "kpi_history": dict.fromkeys(earlier, kpis),
            "prior_lines": tuple(
                PriorLine(p, c.id, kind, Decimal("-1234.56"), kpi)
                for p in earlier
                for c in version.components
                for kind, kpi in (("service_credit", "service_level"), ("gain_share", ""), ("fixed_fee", ""))
            ),
            "prior_charges": {p: Decimal("100000.00") for p in earlier},
        }
    return price_period(PricingInput(period=period, terms=terms, kpis=kpis, **extra))


def plain_lines(statement, version) -> list[Line]:
    multi_month = {c.id for c in version.components if MULTI_MONTH_KEYS & set(c.params)}
    return [line for line in statement.lines if line.component_id not in multi_month]


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROOT)))
@pytest.mark.parametrize("by_unit", [LOW, HIGH], ids=["missing", "meeting"])
def test_history_changes_nothing_on_components_without_multi_month_keys(path, by_unit):
    spec = validate_contract(
        parse_document(path.read_text(), file_name=path.name), file_name=path.name, catalogue=CATALOGUE_INFO
    )
    kpis = month_values(by_unit)
    for version in spec.versions:
        alone = priced(spec, version, kpis, history=False)
        with_history = priced(spec, version, kpis, history=True)
        assert plain_lines(with_history, version) == plain_lines(alone, version)
        if not any(MULTI_MONTH_KEYS & set(c.params) for c in version.components):
            assert (with_history.net, with_history.tax, with_history.gross) == (
                alone.net,
                alone.tax,
                alone.gross,
            )
            assert [f for f in with_history.flags if f.code not in WAITING_FLAGS] == list(alone.flags)


def test_the_files_list_every_fixture_and_golden_contract():
    assert {path.name for path in FILES} >= {
        "acme-telecom.yaml",
        "bright-retail.yaml",
        "northern-utility.yaml",
    }
    assert len([path for path in FILES if path.name == "contract.yaml"]) >= 3
