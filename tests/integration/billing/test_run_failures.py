"""A contract that cannot be priced or saved, for whatever reason, is its own error: the run
prices its neighbours, records it and ends "finished with errors", on the in-process path and
on the chunked (Celery) path alike."""

import dataclasses
import decimal
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from billing import bulk, services, tasks
from billing.models import BillingRun, Statement
from contracts.models import Component, Contract
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

JAN = Period(2026, 1)


def contracts_with_one_absurd_amount(count: int, bad: int, amount: str = "1E+400") -> list[Contract]:
    """``count`` priceable contracts, the ``bad``-th with ``amount`` as its fixed fee, written
    straight into the stored component (as a row written by other means would be)."""
    contracts = [load_contract(f"ACME-F-{i:03d}", supplier=f"F{i} Contact Ltd") for i in range(count)]
    load_kpis("".join(month(c.reference, "2026-01", 1200 + i, 85) for i, c in enumerate(contracts)))
    component = Component.objects.get(version__contract=contracts[bad], component_id="mgmt")
    Component.objects.filter(pk=component.pk).update(params={**component.params, "amount": amount})
    return contracts


def drafted(run: BillingRun) -> set[str]:
    return set(
        Statement.objects.filter(billing_run=run, status="draft").values_list(
            "contract__reference", flat=True
        )
    )


@pytest.mark.django_db
def test_an_amount_the_pricing_cannot_round_fails_its_contract_only_in_the_command():
    contracts = contracts_with_one_absurd_amount(16, bad=9)
    err = StringIO()
    with pytest.raises(CommandError, match="1 contract"):
        call_command("run_billing", "--period", "2026-01", stdout=StringIO(), stderr=err)
    run = BillingRun.objects.get()
    assert (run.status, run.total, run.done, run.failed) == (BillingRun.Status.FAILED, 16, 16, 1)
    assert run.get_status_display() == "Finished with errors"
    assert drafted(run) == {c.reference for i, c in enumerate(contracts) if i != 9}
    bad = contracts[9].reference
    assert list(run.errors) == [bad]
    assert run.error_list == [(bad, run.errors[bad])]
    assert run.errors[bad].startswith(f"{bad} 2026-01: ")
    assert f"{bad}: {run.errors[bad]}" in err.getvalue()
    assert "Traceback" not in err.getvalue()


@pytest.mark.django_db
def test_an_amount_too_large_to_store_fails_its_contract_on_the_chunked_path():
    # 1E+20 rounds fine but has more digits than the amount columns hold: refused before the
    # insert, identically on SQLite and PostgreSQL, instead of failing the chunk's COPY.
    contracts = contracts_with_one_absurd_amount(5, bad=2, amount="1E+20")
    run = services.billing_run_create(period=JAN)
    tasks.run_billing.delay(run.pk)  # the chord, in-process without a broker
    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == (BillingRun.Status.FAILED, 5, 1)
    assert drafted(run) == {c.reference for i, c in enumerate(contracts) if i != 2}
    assert run.errors[contracts[2].reference].startswith(f"{contracts[2].reference} 2026-01: ")


@pytest.mark.django_db
def test_a_chunk_whose_shared_load_raises_falls_back_to_one_contract_at_a_time():
    contracts = contracts_with_one_absurd_amount(6, bad=4)
    bad_id = contracts[1].pk
    real = services.contract_months

    def load_fails_with_contract_one(*, contract_ids, period):
        if bad_id in contract_ids:
            raise KeyError("a component parameter the loader did not expect")
        return real(contract_ids=contract_ids, period=period)

    run = services.billing_run_create(period=JAN)
    with mock.patch("billing.services.contract_months", side_effect=load_fails_with_contract_one):
        for chunk in services.billing_run_chunks(run=run):
            assert len(chunk) == 6  # one chunk: the failure is inside it
            services.billing_run_price_chunk(run_id=run.pk, contract_ids=chunk)
    run = services.billing_run_finish(run_id=run.pk)
    assert (run.status, run.done, run.failed) == (BillingRun.Status.FAILED, 6, 2)
    assert drafted(run) == {c.reference for i, c in enumerate(contracts) if i not in (1, 4)}
    assert "unexpected KeyError" in run.errors[contracts[1].reference]
    assert run.errors[contracts[4].reference].startswith(f"{contracts[4].reference} 2026-01: ")


def _second_pricing(change):
    """``price_period`` with ``change(priced)`` applied to its second call (the chunk's second
    contract: contracts are priced in primary-key order)."""
    real, calls = services.price_period, []

    def price(inputs):
        calls.append(inputs)
        return change(real(inputs)) if len(calls) == 2 else real(inputs)

    return mock.patch("billing.services.price_period", side_effect=price)


@pytest.mark.django_db
def test_a_decimal_error_inside_the_pricing_is_reported_as_an_amount_out_of_range():
    contracts = contracts_with_one_absurd_amount(3, bad=0, amount="10000.00")  # all priceable

    def fails(priced):
        raise decimal.InvalidOperation([decimal.InvalidOperation])

    run = services.billing_run_create(period=JAN)
    with _second_pricing(fails):
        services.billing_run_price_chunk(run_id=run.pk, contract_ids=[c.pk for c in contracts])
    run = services.billing_run_finish(run_id=run.pk)
    assert run.errors == {
        contracts[
            1
        ].reference: f"{contracts[1].reference} 2026-01: could not be priced: an amount in its terms "
        "or KPI values is out of range (InvalidOperation); check the contract's terms version"
    }
    assert drafted(run) == {contracts[0].reference, contracts[2].reference}


@pytest.mark.django_db
def test_an_amount_with_more_digits_than_the_columns_hold_is_refused_before_the_insert():
    contracts = contracts_with_one_absurd_amount(3, bad=0, amount="10000.00")
    huge = Decimal(10) ** 16  # one more digit than numeric(20, 4) holds before the point
    run = services.billing_run_create(period=JAN)
    with _second_pricing(lambda priced: dataclasses.replace(priced, net=huge, gross=huge)):
        services.billing_run_price_chunk(run_id=run.pk, contract_ids=[c.pk for c in contracts])
    run = services.billing_run_finish(run_id=run.pk)
    assert run.errors == {
        contracts[
            1
        ].reference: f"{contracts[1].reference} 2026-01: net 1.000000E+16 is larger than the largest "
        "storable amount (16 digits before the point); check the contract's terms version and the month's "
        "KPI values"
    }
    assert drafted(run) == {contracts[0].reference, contracts[2].reference}
    assert huge - 1 == bulk.LARGEST_AMOUNT


@pytest.mark.django_db
def test_a_failure_in_the_save_step_is_recorded_and_the_neighbours_are_saved():
    contracts = contracts_with_one_absurd_amount(4, bad=0, amount="10000.00")  # all priceable
    victim = contracts[2].pk
    real = services.write_statements

    def save_fails_for_victim(new):
        if any(month.contract.pk == victim for month in new):
            from django.db import DataError

            raise DataError("numeric field overflow")
        return real(new)

    run = services.billing_run_create(period=JAN)
    with mock.patch("billing.services.write_statements", side_effect=save_fails_for_victim):
        for chunk in services.billing_run_chunks(run=run):
            services.billing_run_price_chunk(run_id=run.pk, contract_ids=chunk)
    run = services.billing_run_finish(run_id=run.pk)
    assert (run.status, run.done, run.failed) == (BillingRun.Status.FAILED, 4, 1)
    assert drafted(run) == {c.reference for c in contracts if c.pk != victim}
    assert run.errors == {
        contracts[2].reference: f"{contracts[2].reference} 2026-01: could not be priced and saved: "
        "the database refused it (DataError); see the log"
    }


@pytest.mark.django_db
def test_a_failing_adjustment_of_an_issued_month_fails_its_contract_only():
    contracts = contracts_with_one_absurd_amount(3, bad=0, amount="10000.00")
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())
    call_command("issue_statements", "--period", "2026-01", "--issue-date", "2026-02-03", stdout=StringIO())
    load_kpis("".join(month(c.reference, "2026-01", 1500, 85) for c in contracts), name="late.csv")
    real, calls = services.correction, []

    def adjustment_fails_for_first(priced, billed, terms):
        calls.append(priced)  # the chunk's contracts are corrected in primary-key order
        if len(calls) == 1:
            raise ZeroDivisionError("division by zero")
        return real(priced, billed, terms)

    with (
        mock.patch("billing.services.correction", side_effect=adjustment_fails_for_first),
        pytest.raises(CommandError, match="1 contract"),
    ):
        call_command("run_billing", "--period", "2026-01", stdout=StringIO(), stderr=StringIO())
    run = BillingRun.objects.first()
    assert run.status == BillingRun.Status.FAILED
    assert "unexpected ZeroDivisionError" in run.errors[contracts[0].reference]
    adjusted = Statement.objects.filter(billing_run=run, adjusts__isnull=False)
    assert set(adjusted.values_list("contract_id", flat=True)) == {c.pk for c in contracts[1:]}
