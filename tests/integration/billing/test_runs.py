"""Billing runs through Celery tasks, concurrent runs and issuing, crash and re-run."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import close_old_connections
from django.test import override_settings
from django.utils import timezone

from billing import selectors, services, tasks
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
    real = services.statements_price
    calls = {"n": 0}

    def crash_on_third(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real(**kwargs)

    run = services.billing_run_create(period=JAN)
    with (
        mock.patch("billing.services.statements_price", side_effect=crash_on_third),
        pytest.raises(SystemExit),
    ):
        for contract_id in services.billing_run_contract_ids(run=run):
            services.billing_run_price_chunk(run_id=run.pk, contract_ids=[contract_id])
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
        in_threads(lambda job: services.billing_run_price_chunk(run_id=job[0], contract_ids=[job[1]]), jobs)
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


# --- dead runs: heartbeat, stale, resume ------------------------------------------------------


@pytest.mark.django_db
def test_a_run_silent_for_longer_than_the_timeout_is_stale_and_blocks_nothing():
    contracts = contracts_with_january(3)
    dead = services.billing_run_create(period=JAN)
    services.billing_run_price_chunk(run_id=dead.pk, contract_ids=[contracts[0].pk])
    dead.refresh_from_db()
    assert dead.heartbeat_at >= dead.started_at and not dead.is_stale  # a price beats the heart
    BillingRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=601))
    dead.refresh_from_db()
    assert dead.status == "running" and dead.is_stale  # the default timeout, 600 s
    with override_settings(BILLING_RUN_STALE_AFTER=3600):
        dead.refresh_from_db()
        assert not dead.is_stale
    assert list(selectors.billing_runs_stale(period=JAN)) == [dead]
    assert list(selectors.billing_runs_stale(period=Period(2026, 2))) == []
    err = StringIO()
    call_command("run_billing", "--period", "2026-01", stdout=StringIO(), stderr=err)
    assert f"billing run {dead.pk} of 2026-01 is dead" in err.getvalue()
    dead.refresh_from_db()
    assert dead.status == BillingRun.Status.STALE and dead.get_status_display() == "Dead (no heartbeat)"
    new = BillingRun.objects.exclude(pk=dead.pk).get()
    assert (new.status, new.done) == ("succeeded", 3)


@pytest.mark.django_db
def test_resume_prices_only_what_a_dead_run_left_and_refuses_a_live_one():
    contracts = contracts_with_january(4)
    run = services.billing_run_create(period=JAN)
    for contract in contracts[:2]:
        services.billing_run_price_chunk(run_id=run.pk, contract_ids=[contract.pk])
    with pytest.raises(CommandError, match=f"billing run {run.pk} is still running"):
        call_command("run_billing", "--resume", str(run.pk), stdout=StringIO())
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    first_two = set(Statement.objects.filter(billing_run=run).values_list("pk", flat=True))
    out = StringIO()
    call_command("run_billing", "--resume", str(run.pk), stdout=out)
    assert f"resuming billing run {run.pk} for 2026-01: 2 of 4 priced" in out.getvalue()
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.failed) == ("succeeded", 4, 4, 0)
    priced = Statement.objects.filter(billing_run=run, status="draft")
    assert set(priced.values_list("contract_id", flat=True)) == {c.pk for c in contracts}
    assert first_two < set(priced.values_list("pk", flat=True))  # the first two were not re-priced
    with pytest.raises(CommandError, match="nothing to resume"):
        call_command("run_billing", "--resume", str(run.pk), stdout=StringIO())
    with pytest.raises(CommandError, match="no billing run 999999"):
        call_command("run_billing", "--resume", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match="give it alone"):
        call_command("run_billing", "--resume", str(run.pk), "--period", "2026-01", stdout=StringIO())


@pytest.mark.django_db
def test_resume_tries_the_failed_contracts_of_a_run_again():
    contracts = contracts_with_january(3)
    run = services.billing_run_create(period=JAN)
    with mock.patch("billing.services.price_period", side_effect=ArithmeticError("boom")):
        services.billing_run_price_chunk(run_id=run.pk, contract_ids=[contracts[1].pk])
    for contract in (contracts[0], contracts[2]):
        services.billing_run_price_chunk(run_id=run.pk, contract_ids=[contract.pk])
    run = services.billing_run_finish(run_id=run.pk)
    assert (run.status, run.failed, list(run.errors)) == ("failed", 1, [contracts[1].reference])
    call_command("run_billing", "--resume", str(run.pk), stdout=StringIO())
    run.refresh_from_db()
    assert (run.status, run.done, run.failed, run.errors) == ("succeeded", 3, 0, {})
    assert Statement.objects.filter(billing_run=run, contract=contracts[1], status="draft").exists()


@pytest.mark.django_db
def test_the_chunked_path_resumes_a_dead_run_through_the_task():
    contracts = contracts_with_january(3)
    run = services.billing_run_create(period=JAN)
    services.billing_run_price_chunk(run_id=run.pk, contract_ids=[contracts[0].pk])
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    run = services.billing_run_resume(run_id=run.pk)
    assert services.billing_run_chunks(run=run) == [[contracts[1].pk, contracts[2].pk]]
    tasks.run_billing.delay(run.pk)
    run.refresh_from_db()
    assert (run.status, run.done, run.failed) == ("succeeded", 3, 0)


def _drafts_of_january() -> dict[str, tuple]:
    """Each contract's live January statement, as far as its content goes."""
    statements = Statement.objects.filter(period="2026-01").exclude(status="void").prefetch_related("lines")
    return {
        s.contract.reference: (
            s.status,
            s.net,
            s.tax,
            s.gross,
            s.flags,
            s.inputs,
            [
                (line.component_id, line.kind, line.kpi, line.amount, line.explanation)
                for line in s.lines.all()
            ],
        )
        for s in statements.select_related("contract")
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_run_killed_mid_way_is_detected_dead_and_resumed_to_the_same_drafts():
    contracts = contracts_with_january(150)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_BROKER_URL", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_billing", "--period", "2026-01"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    run = None
    while time.monotonic() < deadline and process.poll() is None:
        run = BillingRun.objects.filter(period="2026-01").first()
        if run is not None and run.done >= 5:  # its heartbeat has moved on from the start
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    run.refresh_from_db()
    assert run.status == "running" and 5 <= run.done < len(contracts), (run.status, run.done)
    assert run.heartbeat_at > run.started_at
    assert not run.is_stale  # killed a moment ago: not yet silent for long
    time.sleep(1.1)
    with override_settings(BILLING_RUN_STALE_AFTER=1):
        run.refresh_from_db()
        assert run.is_stale
        assert run in selectors.billing_runs_stale(period=JAN)
        call_command("run_billing", "--resume", str(run.pk), stdout=StringIO())
    run.refresh_from_db()
    assert (run.status, run.done, run.failed, run.total) == ("succeeded", 150, 0, 150)
    resumed = _drafts_of_january()
    assert len(resumed) == 150
    # An uninterrupted run of the same month gives the same drafts.
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())
    uninterrupted = BillingRun.objects.exclude(pk=run.pk).get()
    assert (uninterrupted.status, uninterrupted.done) == ("succeeded", 150)
    assert _drafts_of_january() == resumed
    assert Statement.objects.filter(period="2026-01", billing_run=uninterrupted).count() == 150
