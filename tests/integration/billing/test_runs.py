"""Billing runs through Celery tasks, concurrent runs and issuing, crash and re-run."""

import os
import subprocess
import sys
import threading
from datetime import date
from unittest import mock

import pytest
from django.conf import settings
from django.db import close_old_connections

from billing import services, tasks
from billing.models import BillingRun, Statement
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

JAN = Period(2026, 1)


def contracts_with_january(count: int):
    contracts = [load_contract(f"ACME-T-{i:03d}", supplier=f"S{i} Contact Ltd") for i in range(count)]
    load_kpis("".join(month(c.reference, "2026-01", 1200 + i, 78) for i, c in enumerate(contracts)))
    return contracts


@pytest.mark.django_db
def test_the_period_task_fans_out_and_finishes_the_run():
    contracts = contracts_with_january(3)
    run = services.billing_run_create(period=JAN)
    tasks.run_billing.delay(run.pk)  # in-process: no broker in the test settings
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.failed) == ("succeeded", 3, 3, 0)
    assert run.finished_at is not None
    assert {s.contract_id for s in Statement.objects.filter(billing_run=run)} == {c.pk for c in contracts}


@pytest.mark.django_db
def test_the_monthly_schedule_prices_the_previous_month():
    contracts_with_january(1)
    with mock.patch("billing.tasks.timezone.localdate", return_value=date(2026, 2, 3)):
        run_id = tasks.run_billing_for_previous_month.delay().get()
    assert BillingRun.objects.get(pk=run_id).period == "2026-01"


@pytest.mark.django_db
def test_a_run_that_crashed_half_way_completes_when_started_again():
    contracts = contracts_with_january(5)
    real = services.statements_price_drafts
    calls = {"n": 0}

    def crash_on_third(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real(**kwargs)

    run = services.billing_run_create(period=JAN)
    with (
        mock.patch("billing.services.statements_price_drafts", side_effect=crash_on_third),
        pytest.raises(SystemExit),
    ):
        for contract_id in services.billing_run_contract_ids(run=run):
            services.billing_run_price_contract(run_id=run.pk, contract_id=contract_id)
    assert Statement.objects.filter(period="2026-01").count() == 2  # two priced before the crash
    rerun = services.billing_run_create(period=JAN)
    for chunk in services.billing_run_chunks(run=rerun):
        services.billing_run_price_chunk(run_id=rerun.pk, contract_ids=chunk)
    for contract in contracts:
        live = Statement.objects.filter(contract=contract, period="2026-01").exclude(status="void")
        assert live.count() == 1


def in_threads(target, arguments, workers=4):
    errors = []

    def work(chunk):
        try:
            for argument in chunk:
                target(argument)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(arguments[i::workers],)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_two_runs_of_the_same_month_at_once_leave_one_statement_per_contract():
    contracts = contracts_with_january(4)
    runs = [services.billing_run_create(period=JAN) for _ in range(2)]
    jobs = [(run.pk, c.pk) for run in runs for c in contracts] * 2
    assert (
        in_threads(lambda job: services.billing_run_price_contract(run_id=job[0], contract_id=job[1]), jobs)
        == []
    )
    for contract in contracts:
        assert Statement.objects.filter(contract=contract, period="2026-01").count() == 1
    assert not any(BillingRun.objects.get(pk=run.pk).errors for run in runs)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_concurrent_issuing_uses_every_number_once_without_gaps():
    contracts = contracts_with_january(6)
    for contract in contracts:
        services.statement_approve(
            statement_id=services.statement_price_draft(contract_id=contract.pk, period=JAN).pk
        )
    ids = list(Statement.objects.filter(period="2026-01").values_list("pk", flat=True))
    in_threads(
        lambda pk: services.statement_issue(statement_id=pk, issue_date=date(2026, 2, 3)),
        ids + ids,
        workers=3,
    )
    numbers = sorted(Statement.objects.filter(period="2026-01").values_list("number", flat=True))
    assert numbers == [f"ACME-2026-{n:06d}" for n in range(1, 7)]


@pytest.mark.django_db
def test_the_monthly_run_is_a_periodic_task_procurement_can_edit():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="monthly-billing-run")
    assert task.task == "billing.tasks.run_billing_for_previous_month"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("0", "6", "3")


def _database_url() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        host = settings["HOST"] or "127.0.0.1"
        return f"postgres://{settings['USER']}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"
    return f"sqlite:///{settings['NAME']}"


def _manage_in_parallel(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_BROKER_URL", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=120), p.stdout.read(), p.stderr.read())
        for p in processes
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_separate_processes_running_and_issuing_the_same_month_at_once():
    contracts = contracts_with_january(8)
    runs = _manage_in_parallel(["run_billing", "--period", "2026-01"], ["run_billing", "--period", "2026-01"])
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    for contract in contracts:
        assert (
            Statement.objects.filter(contract=contract, period="2026-01").exclude(status="void").count() == 1
        )
    issues = _manage_in_parallel(
        ["issue_statements", "--period", "2026-01"], ["issue_statements", "--period", "2026-01"]
    )
    assert [i.returncode for i in issues] == [0, 0], [i.stderr for i in issues]
    numbers = sorted(Statement.objects.filter(period="2026-01").values_list("number", flat=True))
    assert numbers == [f"ACME-2026-{n:06d}" for n in range(1, 9)]
    issued_by = [int(i.stdout.strip().splitlines()[-1].split()[0]) for i in issues]
    assert sum(issued_by) == 8  # between them, each statement issued exactly once
