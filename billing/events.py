"""Appending to a statement's history (``StatementEvent``): the one writer of events."""

from django.utils import timezone

from .models import Statement, StatementEvent
from .selectors import document_of
from .signals import statement_event_recorded


def statement_event_record(
    *, statement: Statement, kind: str, actor=None, at=None, **detail
) -> StatementEvent:
    """Append one event to ``statement``'s history (``StatementEvent``); ``detail`` is JSON.
    ``billing.signals.statement_event_recorded`` is sent at once, in the caller's transaction."""
    event = StatementEvent.objects.create(
        contract_id=statement.contract_id,
        period=statement.period,
        revision=statement.revision,
        statement_id=statement.pk,
        document_id=document_of(statement.pk),
        kind=kind,
        actor=actor,
        at=at or timezone.now(),
        detail=detail,
    )
    statement_event_recorded.send(sender=StatementEvent, event=event, statement=statement)
    return event


def statement_events_record_priced(
    *, statements: list[Statement], kinds: list[tuple[str, int | None]], actor_id: int | None
) -> None:
    """Append the events of drafts a pricing chunk has just written, in one insert (and one
    query for the histories of the drafts they replaced): each one's ``kinds`` entry (created,
    re-priced, adjustment created; with the id of the draft it replaced, or ``None``), and
    "inputs changed" for a draft whose KPI inputs differ from the draft it replaced (its
    ``inputs_changed`` flag)."""
    now = timezone.now()
    replaced = [replaced_id for _, replaced_id in kinds if replaced_id is not None]
    roots = {}
    if replaced:
        roots = dict(
            StatementEvent.objects.filter(statement_id__in=replaced).values_list(
                "statement_id", "document_id"
            )
        )
    events = []
    for statement, (kind, replaced_id) in zip(statements, kinds, strict=True):
        common = {
            "contract_id": statement.contract_id,
            "period": statement.period,
            "revision": statement.revision,
            "statement_id": statement.pk,
            "document_id": statement.pk if replaced_id is None else roots.get(replaced_id, replaced_id),
            "actor_id": actor_id,
            "at": now,
        }
        detail = {"billing_run": statement.billing_run_id, "net": str(statement.net)}
        if replaced_id is not None:
            detail["replaces_draft"] = replaced_id
        events.append(StatementEvent(kind=kind, detail=detail, **common))
        if any(flag.get("code") == "inputs_changed" for flag in statement.flags):
            events.append(
                StatementEvent(
                    kind="inputs changed", detail={"billing_run": statement.billing_run_id}, **common
                )
            )
    if events:
        StatementEvent.objects.bulk_create(events, batch_size=1000)
