"""Sending a Celery task: to the workers, or in this process when Celery runs tasks eagerly."""

from celery import current_app


def task_send(task, *args) -> None:
    """``task.delay(*args)``; when tasks run eagerly (no broker), what ``delay`` does eagerly,
    without the broker connection Celery opens first (and its warning that no broker host was
    given)."""
    if current_app.conf.task_always_eager:
        task.apply(args=args, throw=current_app.conf.task_eager_propagates)
    else:
        task.delay(*args)
