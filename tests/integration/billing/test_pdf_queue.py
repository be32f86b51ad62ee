"""Queueing an issued statement's PDF: by the task's name, so that the services never import
the tasks module that imports them."""

import pytest
from celery import current_app

from billing import pdf, services, tasks


def test_the_pdf_is_queued_under_the_name_the_task_is_registered_with():
    assert tasks.statement_render_pdf.name == services.PDF_TASK
    assert services.PDF_TASK in current_app.tasks


@pytest.fixture
def rendered(monkeypatch):
    """The statement ids the PDF task was run for (the rendering itself is tested in test_pdf)."""
    ids = []
    monkeypatch.setattr(pdf, "statement_pdf_store", lambda *, statement_id: ids.append(statement_id))
    return ids


def test_queueing_runs_the_task_in_process_when_tasks_run_eagerly(rendered, caplog):
    assert current_app.conf.task_always_eager  # no broker: the test and demo default
    services._queue_pdf(41)
    assert rendered == [41]
    assert caplog.records == []  # no connection to a broker that is not there, nor its warning


def test_a_process_that_has_not_loaded_the_tasks_loads_them_before_queueing(monkeypatch, rendered):
    # An unknown name would be sent to the broker, eager or not.
    task = current_app.tasks.pop(services.PDF_TASK)
    loads = []

    def import_default_modules():
        loads.append(services.PDF_TASK)
        current_app.tasks.register(task)

    monkeypatch.setattr(current_app.loader, "import_default_modules", import_default_modules)
    try:
        services._queue_pdf(42)
    finally:
        current_app.tasks[services.PDF_TASK] = task
    assert loads == [services.PDF_TASK]
    assert rendered == [42]
