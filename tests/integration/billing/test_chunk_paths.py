"""The billing run's faster paths give what the plain ones gave: the input snapshot's JSON text
assembled from shared parts, the month's statements read per contract, and the worker's
start-up objects frozen for the garbage collector."""

import gc
import json
import weakref
from datetime import date
from decimal import Decimal

import pytest
from celery.signals import worker_process_init

from billing import inputs
from billing.bulk import NewStatement, snapshot_json
from billing.inputs import contract_months
from billing.models import Statement, StatementLine
from billing.services import statement_approve, statement_issue, statements_price
from config.celery import freeze_start_up_objects
from pricing import price_period
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

JAN, FEB = Period(2026, 1), Period(2026, 2)


@pytest.mark.django_db
def test_the_snapshot_text_is_the_snapshot_serialised():
    contracts = [load_contract(f"ACME-J-{n}", supplier=f"J{n} Contact Ltd") for n in range(3)]
    # Service levels under target in January: credits, which February's earn-back reads back
    # once January is issued.
    load_kpis("".join(month(c.reference, "2026-01", 1200 + 100 * n, 70 + n) for n, c in enumerate(contracts)))
    load_kpis(month(contracts[0].reference, "2026-02", 900, 85), name="feb.csv")
    january = statements_price(contract_ids=[c.pk for c in contracts], period=JAN)
    statement_approve(statement_id=january[contracts[0].pk].pk)
    statement_issue(statement_id=january[contracts[0].pk].pk, issue_date=date(2026, 2, 3))
    loaded = {
        m.contract.pk: m.inputs for m in contract_months(contract_ids=[c.pk for c in contracts], period=FEB)
    }
    credits = StatementLine.objects.filter(
        statement__contract=contracts[0], statement__period="2026-01", kind="service_credit"
    ).values_list("component_id", "kpi", "amount")
    assert [
        (c["component"], c["kpi"], Decimal(c["amount"]))
        for c in loaded[contracts[0].pk].snapshot["prior_credits"]
    ] == [line for line in credits if line[2] < 0]
    assert credits  # the issued month's credits, read back by the earn-back
    assert loaded[contracts[0].pk].snapshot["kpi_history"]["2026-01"]
    for contract in contracts:
        inputs = loaded[contract.pk]
        text = snapshot_json(inputs.snapshot, inputs.components_json)
        assert text == json.dumps(inputs.snapshot, separators=(",", ":"))
        assert json.loads(text) == inputs.snapshot
    # Contracts on the same template share their components' part.
    parts = [loaded[c.pk].snapshot["terms"]["components"] for c in contracts]
    assert parts[0] == parts[1] == parts[2]
    priced = statements_price(contract_ids=[c.pk for c in contracts[1:]], period=FEB)
    for contract in contracts[1:]:
        stored = Statement.objects.get(pk=priced[contract.pk].pk)
        assert stored.inputs == loaded[contract.pk].snapshot


@pytest.mark.django_db
def test_the_months_statements_are_read_per_contract():
    contracts = [load_contract(f"ACME-M-{n}", supplier=f"M{n} Contact Ltd") for n in range(3)]
    load_kpis("".join(month(c.reference, "2026-01", 1500, 85) for c in contracts))
    ids = [c.pk for c in contracts]
    statements_price(contract_ids=ids, period=JAN)
    statements_price(contract_ids=ids[:2], period=JAN)  # a second revision, the first replaced
    statements_price(contract_ids=ids[:1], period=FEB)
    expected = set(
        Statement.objects.filter(contract_id__in=ids[:2], period__in=["2026-01", "2026-02"]).values_list(
            "pk", "contract_id", "period", "revision", "status", "adjusts_id", "net"
        )
    )
    assert set(inputs.statement_rows(ids[:2], ["2026-01", "2026-02"])) == expected
    assert len(expected) == 3
    assert inputs.statement_rows(ids, ["2025-12"]) == []


def test_a_worker_process_freezes_its_start_up_objects():
    receivers = [
        receiver() if isinstance(receiver, weakref.ReferenceType) else receiver
        for _key, receiver in worker_process_init.receivers
    ]
    assert freeze_start_up_objects in receivers
    try:
        freeze_start_up_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.django_db
def test_a_new_statement_is_what_keyword_construction_gives():
    contract = load_contract("ACME-N-1", supplier="N1 Contact Ltd")
    load_kpis(month(contract.reference, "2026-01", 1500, 85))
    original = statements_price(contract_ids=[contract.pk], period=JAN)[contract.pk]
    (month_of,) = contract_months(contract_ids=[contract.pk], period=JAN)
    loaded = month_of.inputs
    priced = price_period(loaded.inputs)
    for adjusts in (None, original):
        built = NewStatement(
            contract=contract,
            period=JAN,
            revision=7,
            terms_version_id=loaded.version_id,
            billing_run_id=None,
            priced=priced,
            flags=[{"code": "x"}],
            inputs=loaded.snapshot,
            inputs_json=snapshot_json(loaded.snapshot, loaded.components_json),
            adjusts=adjusts,
        ).statement()
        expected = Statement(
            contract=contract,
            period="2026-01",
            revision=7,
            terms_version_id=loaded.version_id,
            billing_run_id=None,
            document_type=str(priced.document_type),
            adjusts=adjusts,
            currency=str(contract.currency),
            net=priced.net,
            tax=priced.tax,
            gross=priced.gross,
            tax_rate=contract.tax_rate,
            flags=[{"code": "x"}],
            inputs=loaded.snapshot,
        )
        fields = [f.attname for f in Statement._meta.concrete_fields]
        assert [getattr(built, name) for name in fields] == [getattr(expected, name) for name in fields]
        assert (built.contract, built.adjusts, built._state.adding) == (contract, adjusts, True)


@pytest.mark.django_db
def test_the_terms_in_force_are_the_latest_version_with_its_components_in_order():
    from contracts.models import Component, TermsVersion
    from contracts.selectors import terms_in_force_for_contracts

    first, second = (load_contract(f"ACME-V-{n}", supplier=f"V{n} Contact Ltd") for n in range(2))
    empty = TermsVersion.objects.create(contract=second, effective_from="2026-02")  # no components
    later = TermsVersion.objects.create(contract=first, effective_from="2026-03")
    for position, component_id in ((2, "late"), (1, "early")):
        Component.objects.create(
            version=later,
            position=position,
            component_id=component_id,
            type="fixed_fee",
            params={"amount": "5.00"},
        )
    january = first.versions.get(effective_from="2026-01")

    def in_force(period):
        terms = terms_in_force_for_contracts(contracts=[first, second], period=period)
        return {
            contract.pk: (
                terms[contract.pk].version_id,
                [c.id for c in terms[contract.pk].components],
            )
            for contract in (first, second)
        }

    stored = [c.component_id for c in january.components.order_by("position", "id")]
    assert in_force(FEB) == {first.pk: (january.pk, stored), second.pk: (empty.pk, [])}
    assert in_force(Period(2026, 3))[first.pk] == (later.pk, ["early", "late"])
    assert terms_in_force_for_contracts(contracts=[first], period=Period(2025, 12)) == {}
