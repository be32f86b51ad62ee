"""A month's PDFs: issuing a period queues them in chunks (one task each), the chunks store
every PDF once, a PDF already stored is not rendered again, one that fails does not stop its
chunk, and ``issue_statements`` stores them."""

from io import StringIO

import pytest
from celery import current_app
from django.core.management import call_command

from billing import pdf, selectors, services, tasks
from billing.models import Statement, StatementEvent
from billing.rendering import RenderError

from .test_runs import JAN, contracts_with_january

pytestmark = pytest.mark.django_db


def priced(count: int) -> list[int]:
    contracts = contracts_with_january(count)
    for contract in contracts:
        services.statement_price_draft(contract_id=contract.pk, period=JAN)
    return [c.pk for c in contracts]


@pytest.fixture
def renders(monkeypatch):
    """The statement ids rendered, in order (the rendering itself is as in test_pdf)."""
    rendered = []
    real = pdf.statement_pdf_bytes

    def counting(*, statement, preview=False):
        rendered.append(statement.pk)
        return real(statement=statement, preview=preview)

    monkeypatch.setattr(pdf, "statement_pdf_bytes", counting)
    return rendered


def test_the_pdf_chunk_task_is_registered_under_the_name_services_queue():
    assert tasks.statements_render_pdfs.name == services.PDFS_TASK
    assert services.PDFS_TASK in current_app.tasks


def test_issuing_a_month_queues_its_pdfs_in_chunks_and_stores_each_once(
    django_capture_on_commit_callbacks, monkeypatch, settings, renders
):
    priced(3)
    queued = []
    monkeypatch.setattr(
        services, "task_send", lambda task, ids: (queued.append(ids), task.apply(args=(ids,)))
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = services.statements_issue_period_report(period=JAN)
    issued = [statement.pk for statement in report.issued]
    assert len(issued) == 3
    # eager: one process, so chunks of at least one statement; each statement in one chunk
    assert sorted(pk for chunk in queued for pk in chunk) == sorted(issued)
    assert sorted(renders) == sorted(issued)
    assert selectors.statement_pdfs_stored(statement_ids=issued) == 3
    assert all(Statement.objects.get(pk=pk).pdf_sha256 for pk in issued)


def test_a_chunk_run_again_renders_only_the_pdfs_not_stored_yet(django_capture_on_commit_callbacks, renders):
    priced(3)
    report = services.statements_issue_period_report(period=JAN, queue_pdfs=False)
    issued = [statement.pk for statement in report.issued]
    pdf.statement_pdf_store(statement_id=issued[0])
    assert renders == [issued[0]]
    assert tasks.statements_render_pdfs.apply(args=(issued,)).get() == 0
    assert renders == [issued[0], issued[1], issued[2]]
    names = list(Statement.objects.filter(pk__in=issued).order_by("pk").values_list("pdf", flat=True))
    assert tasks.statements_render_pdfs.apply(args=(issued,)).get() == 0  # redelivered: nothing to do
    assert len(renders) == 3
    assert list(Statement.objects.filter(pk__in=issued).order_by("pk").values_list("pdf", flat=True)) == names


def test_a_pdf_that_fails_does_not_stop_its_chunk_and_is_reported(monkeypatch):
    priced(3)
    issued = [s.pk for s in services.statements_issue_period_report(period=JAN, queue_pdfs=False).issued]
    real = pdf.statement_pdf_bytes

    def failing_second(*, statement, preview=False):
        if statement.pk == issued[1]:
            raise RenderError("the render took longer than 30 s")
        return real(statement=statement, preview=preview)

    monkeypatch.setattr(pdf, "statement_pdf_bytes", failing_second)
    failed = pdf.statements_pdf_store(statement_ids=issued)
    assert failed == {issued[1]: "RenderError: the render took longer than 30 s"}
    stored = {pk: bool(Statement.objects.get(pk=pk).pdf) for pk in issued}
    assert stored == {issued[0]: True, issued[1]: False, issued[2]: True}
    assert tasks.statements_render_pdfs.apply(args=(issued,)).get() == 1  # eager: reported, not retried


def test_a_refusal_part_way_through_the_month_still_queues_the_pdfs_of_what_it_issued(
    django_capture_on_commit_callbacks, monkeypatch
):
    priced(2)
    real = services._issue_contract_month
    calls = []

    def refusing_second(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise services.BillingError("refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_issue_contract_month", refusing_second)
    queued = []
    monkeypatch.setattr(
        services, "statement_pdfs_queue", lambda *, statement_ids: queued.append(statement_ids)
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.BillingError):
        services.statements_issue_period_report(period=JAN, queue_pdfs=False)
    first = Statement.objects.get(contract_id=calls[0], period="2026-01", status="issued")
    assert queued == [[first.pk]]


def test_issue_statements_stores_the_months_pdfs(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no workers: stored by the command itself
    priced(2)
    out, err = StringIO(), StringIO()
    call_command("issue_statements", "--period", "2026-01", stdout=out, stderr=err)
    issued = list(Statement.objects.filter(period="2026-01", status="issued").values_list("pk", flat=True))
    assert len(issued) == 2 and selectors.statement_pdfs_stored(statement_ids=issued) == 2
    assert "2 statement(s) issued for 2026-01" in out.getvalue()


def test_a_pdf_stored_by_another_worker_while_this_one_rendered_is_kept_and_not_written_again(monkeypatch):
    priced(1)
    (statement,) = services.statements_issue_period_report(period=JAN, queue_pdfs=False).issued
    real = pdf.statement_pdf_bytes

    def other_worker_wins(*, statement, preview=False):
        content = real(statement=statement, preview=preview)
        monkeypatch.setattr(pdf, "statement_pdf_bytes", real)
        pdf.statement_pdf_store(statement_id=statement.pk)  # the other worker, done first
        return content

    monkeypatch.setattr(pdf, "statement_pdf_bytes", other_worker_wins)
    pdf.statement_pdf_store(statement_id=statement.pk)
    stored = Statement.objects.get(pk=statement.pk)
    assert stored.pdf.name == f"statements/{stored.issued_at:%Y}/{stored.number}.pdf"
    folder = stored.pdf.storage.listdir(f"statements/{stored.issued_at:%Y}")[1]
    assert folder == [f"{stored.number}.pdf"]  # one file: the second render was dropped
    assert StatementEvent.objects.filter(statement_id=stored.pk, kind="pdf stored").count() == 1
