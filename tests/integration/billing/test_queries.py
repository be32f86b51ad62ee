"""Queries on issued documents and acknowledgements: each rule of ``billing.queries``."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from billing import signals
from billing.immutability import ImmutableError
from billing.models import (
    BillingRun,
    QueryMessage,
    Statement,
    StatementAcknowledgement,
    StatementEvent,
    StatementQuery,
)
from billing.permissions import visible_statements
from billing.queries import (
    CorrectedFile,
    QueryRefused,
    query_text,
    statement_acknowledge,
    statement_query_raise,
    statement_query_reply,
    statement_query_resolve,
)
from billing.query_selectors import queried_statement_ids, query_adjustments
from billing.services import statement_approve, statement_issue, statement_price_draft, statement_void
from kpis.models import KpiBatch
from pricing.period import Period

from .queries_world import corrected_file, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def raise_on_line(w, position=2, text="The voice volume is 1,400, not 1,500."):
    return statement_query_raise(
        statement_id=w["statement"].pk, user=w["supplier"], text=text, line_position=position
    )


def kinds(statement) -> list[str]:
    return list(StatementEvent.objects.filter(statement_id=statement.pk).values_list("kind", flat=True))


# --- the text of a message ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Why is this line so high?  ", "Why is this line so high?"),
        ("first line\r\nsecond line", "first line\nsecond line"),  # a browser's textarea
        ("x" * 4000, "x" * 4000),
    ],
)
def test_a_message_is_stripped_with_plain_line_breaks(text, expected):
    assert query_text(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("   \n ", "cannot be empty"),
        ("x" * 4001, "at most 4,000"),
        ("bad\x00byte", "U+0000"),
        ("tab\there", "U+0009"),
        ("escape \x1b[31m", "U+001B"),
        ("right-to-left \u202e override", "U+202E"),
        ("line\u2028separator", "U+2028"),
        (None, "as text"),
    ],
)
def test_a_bad_message_is_refused(text, problem):
    with pytest.raises(QueryRefused, match=problem.replace("+", r"\+")):
        query_text(text)


# --- raising ------------------------------------------------------------------------------


def test_a_supplier_raises_a_query_on_a_line_with_its_first_message(w, django_capture_on_commit_callbacks):
    received = []
    signals.query_raised.connect(
        lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            query = raise_on_line(w)
    finally:
        signals.query_raised.disconnect(dispatch_uid="t")
    assert query.status == "open" and query.line_position == 2 and query.raised_by == w["supplier"]
    # Named as the statement numbers its lines (from 1), by the component's title, codes after.
    assert query.subject == "line 3: Sla (sla, service credit, service_level)"
    [message] = query.messages.all()
    assert (message.side, message.author, message.text) == (
        "supplier",
        w["supplier"],
        "The voice volume is 1,400, not 1,500.",
    )
    assert "query raised" in kinds(w["statement"])
    [sent] = received
    assert sent["query_id"] == query.pk and sent["statement"].pk == w["statement"].pk
    assert sent["subject"] == query.subject and sent["actor"] == w["supplier"]
    assert queried_statement_ids([w["statement"].pk, w["other_statement"].pk]) == {w["statement"].pk}


def test_a_query_on_the_whole_statement_has_no_line(w):
    query = raise_on_line(w, position=None)
    assert query.line_position is None and query.subject == "the whole statement"


def test_the_signal_is_not_sent_when_the_transaction_rolls_back(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        raise_on_line(w)
    assert len(callbacks) == 1  # sent only on commit


@pytest.mark.parametrize("who", ["other_supplier", "procurement"])
def test_only_the_documents_supplier_raises_a_query(w, who):
    with pytest.raises(QueryRefused):
        statement_query_raise(statement_id=w["statement"].pk, user=w[who], text="Why?")
    assert not StatementQuery.objects.filter(statement=w["statement"]).exists()


def test_another_suppliers_document_is_unknown(w):
    with pytest.raises(QueryRefused, match="no such statement"):
        statement_query_raise(statement_id=w["other_statement"].pk, user=w["supplier"], text="Why?")


def test_a_void_document_cannot_be_queried(w):
    statement_void(statement_id=w["statement"].pk, reason="issued twice")
    with pytest.raises(QueryRefused, match="only an issued or paid document"):
        raise_on_line(w)


def test_a_line_the_document_does_not_have_is_refused(w):
    with pytest.raises(QueryRefused, match="has no line 99"):
        raise_on_line(w, position=99)
    assert not StatementQuery.objects.exists()


def test_a_bad_text_raises_nothing(w):
    with pytest.raises(QueryRefused):
        raise_on_line(w, text="  ")
    assert not StatementQuery.objects.exists()


# --- the thread ---------------------------------------------------------------------------


def test_both_sides_write_to_the_thread_and_the_answer_is_signalled(w, django_capture_on_commit_callbacks):
    query = raise_on_line(w)
    received = []
    signals.query_answered.connect(
        lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            statement_query_reply(query_id=query.pk, user=w["procurement"], text="We counted 1,500 calls.")
            statement_query_reply(query_id=query.pk, user=w["supplier"], text="Our file says 1,400.")
    finally:
        signals.query_answered.disconnect(dispatch_uid="t")
    thread = list(query.messages.values_list("side", "author__username", "text"))
    assert thread[1:] == [
        ("buyer", "acme-procurement", "We counted 1,500 calls."),
        ("supplier", "northwind-user", "Our file says 1,400."),
    ]
    assert [(r["resolution"], r["text"]) for r in received] == [("", "We counted 1,500 calls.")]
    assert kinds(w["statement"]).count("query answered") == 1


@pytest.mark.parametrize("who", ["other_supplier", "other_procurement"])
def test_another_party_cannot_write_to_the_thread(w, who):
    query = raise_on_line(w)
    with pytest.raises(QueryRefused, match="no such query"):
        statement_query_reply(query_id=query.pk, user=w[who], text="Hello")
    assert query.messages.count() == 1


def test_procurement_without_the_permission_cannot_answer(w):
    query = raise_on_line(w)
    w["procurement"].groups.clear()
    procurement = User.objects.get(pk=w["procurement"].pk)  # permissions read afresh
    with pytest.raises(QueryRefused):
        statement_query_reply(query_id=query.pk, user=procurement, text="Hello")


def test_messages_are_never_changed_or_deleted(w):
    message = raise_on_line(w).messages.get()
    message.text = "changed"
    with pytest.raises(ImmutableError):
        message.save()
    with pytest.raises(ImmutableError):
        message.delete()


# --- resolving ----------------------------------------------------------------------------


def test_procurement_explains_a_query_and_the_thread_closes(w, django_capture_on_commit_callbacks):
    query = raise_on_line(w)
    received = []
    signals.query_answered.connect(
        lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            resolved = statement_query_resolve(
                query_id=query.pk,
                user=w["procurement"],
                resolution="explained",
                text="Calls are counted on answer.",
            )
    finally:
        signals.query_answered.disconnect(dispatch_uid="t")
    assert (resolved.status, resolved.resolved_by) == ("explained", w["procurement"])
    assert resolved.resolved_at is not None and resolved.correction_run is None
    assert [r["resolution"] for r in received] == ["explained"]
    assert "query resolved" in kinds(w["statement"])
    assert not queried_statement_ids([w["statement"].pk])
    with pytest.raises(QueryRefused, match="already explained"):
        statement_query_resolve(query_id=query.pk, user=w["procurement"], resolution="explained", text="x")
    with pytest.raises(QueryRefused, match="thread is closed"):
        statement_query_reply(query_id=query.pk, user=w["supplier"], text="But...")


def test_another_buyers_procurement_cannot_resolve(w):
    query = raise_on_line(w)
    with pytest.raises(QueryRefused, match="no such query"):
        statement_query_resolve(
            query_id=query.pk, user=w["other_procurement"], resolution="explained", text="No."
        )
    with pytest.raises(QueryRefused):
        statement_query_resolve(query_id=query.pk, user=w["supplier"], resolution="explained", text="Done.")
    assert StatementQuery.objects.get(pk=query.pk).status == "open"


@pytest.mark.parametrize(
    ("resolution", "with_file", "problem"),
    [
        ("withdrawn", False, "explained or accepted"),
        ("accepted", False, "needs the corrected KPI file for its month or the amount agreed"),
        ("explained", True, "leave the corrected file and amount out"),
    ],
)
def test_a_resolution_must_be_known_and_match_its_file(w, resolution, with_file, problem):
    query = raise_on_line(w)
    corrected = CorrectedFile("k.csv", corrected_file(w["contract"])) if with_file else None
    with pytest.raises(QueryRefused, match=problem):
        statement_query_resolve(
            query_id=query.pk, user=w["procurement"], resolution=resolution, text="x", corrected=corrected
        )
    assert StatementQuery.objects.get(pk=query.pk).status == "open"


def test_accepting_with_a_corrected_kpi_file_starts_a_correcting_run_and_links_its_adjustment(
    w, django_capture_on_commit_callbacks
):
    query = raise_on_line(w)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="You are right: 1,600 calls.",
            corrected=CorrectedFile("corrected.csv", corrected_file(w["contract"])),
        )
    assert accepted.status == "accepted"
    assert accepted.correction_batch.party == "buyer" and accepted.correction_batch.status == "accepted"
    run = BillingRun.objects.get(pk=accepted.correction_run_id)
    assert (run.period, run.contract_reference, run.requested_by) == (
        "2026-01",
        "ACME-T-001",
        w["procurement"],
    )
    assert run.status == "succeeded", run.errors
    adjustment = Statement.objects.get(adjusts=w["statement"])
    assert adjustment.status == "draft"
    assert query_adjustments([accepted]) == {accepted.pk: adjustment}
    # As the supplier sees it: nothing until the adjustment is issued.
    assert query_adjustments([accepted], within=visible_statements(w["supplier"])) == {accepted.pk: None}
    event = StatementEvent.objects.get(statement_id=w["statement"].pk, kind="query resolved")
    assert event.detail == {
        "query": query.pk,
        "resolution": "accepted",
        "kpi_batch": accepted.correction_batch_id,
        "billing_run": run.pk,
    }


def test_the_link_survives_the_draft_adjustment_being_priced_again(w, django_capture_on_commit_callbacks):
    query = raise_on_line(w)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="Agreed.",
            corrected=CorrectedFile("corrected.csv", corrected_file(w["contract"])),
        )
    first = Statement.objects.get(adjusts=w["statement"])
    statement_price_draft(contract_id=w["contract"].pk, period=Period(2026, 1))
    second = Statement.objects.get(adjusts=w["statement"])
    assert second.pk != first.pk
    assert query_adjustments([accepted]) == {accepted.pk: second}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"contract,period,kpi,value\nACME-T-001,2026-01,no_such_kpi,1\n", "refused"),
        # Another buyer's contract is an unknown contract, as for any upload.
        ("another buyer's month", "refused"),
        (b"contract,period,kpi,value\nACME-T-001,2026-02,contacts_voice,1\n", "only 2026-01"),
    ],
)
def test_a_bad_corrected_file_refuses_the_whole_resolution(
    w, content, problem, django_capture_on_commit_callbacks
):
    if content == "another buyer's month":
        content = corrected_file(w["other"])
    query = raise_on_line(w)
    batches, runs = KpiBatch.objects.count(), BillingRun.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(QueryRefused, match=problem) as refused,
    ):
        statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="Agreed.",
            corrected=CorrectedFile("bad.csv", content),
        )
    if problem == "refused":
        assert refused.value.errors
    assert StatementQuery.objects.get(pk=query.pk).status == "open"
    assert query.messages.count() == 1
    assert (KpiBatch.objects.count(), BillingRun.objects.count()) == (batches, runs)
    assert not Statement.objects.filter(adjusts=w["statement"]).exists()
    assert "query resolved" not in kinds(w["statement"])


def test_an_already_ingested_file_is_refused(w):
    query = raise_on_line(w)
    same = corrected_file(w["contract"], voice=1500)  # January's file as first ingested
    with pytest.raises(QueryRefused, match="already ingested"):
        statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="Agreed.",
            corrected=CorrectedFile("same.csv", same),
        )


def accept_agreed(w, amount, django_capture_on_commit_callbacks):
    query = raise_on_line(w)
    with django_capture_on_commit_callbacks(execute=True):
        return statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="We agree on 200.00 more.",
            agreed_amount=amount,
        )


def test_accepting_with_an_agreed_amount_prices_it_as_a_line_of_the_adjustment(
    w, django_capture_on_commit_callbacks
):
    accepted = accept_agreed(w, Decimal("200.00"), django_capture_on_commit_callbacks)
    assert (accepted.status, accepted.agreed_amount, accepted.correction_batch) == (
        "accepted",
        Decimal("200.00"),
        None,
    )
    assert BillingRun.objects.get(pk=accepted.correction_run_id).status == "succeeded"
    adjustment = Statement.objects.get(adjusts=w["statement"])
    [line] = adjustment.lines.all()
    assert (line.component_id, line.kind, line.amount) == (
        f"query-{accepted.pk}",
        "agreed",
        Decimal("200.00"),
    )
    assert f"Agreed on query {accepted.pk}: {accepted.subject}." in line.explanation
    assert adjustment.inputs["agreed"] == [
        {
            "component": f"query-{accepted.pk}",
            "amount": "200.0000",
            "explanation": f"Agreed on query {accepted.pk}: {accepted.subject}.",
        }
    ]
    assert query_adjustments([accepted]) == {accepted.pk: adjustment}
    event = StatementEvent.objects.get(statement_id=w["statement"].pk, kind="query resolved")
    assert event.detail["agreed_amount"] == "200.00"
    # Once issued, pricing the month again finds nothing more to bill.
    statement_approve(statement_id=adjustment.pk)
    statement_issue(statement_id=adjustment.pk)
    assert statement_price_draft(contract_id=w["contract"].pk, period=Period(2026, 1)) is None
    assert Statement.objects.filter(adjusts=w["statement"]).count() == 1


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (Decimal("0"), "changes nothing"),
        (Decimal("0.001"), "more than 2 decimal places for GBP"),
        (Decimal("1000000000000"), "less than"),
        (Decimal("NaN"), "must be a number"),
        ("200", "must be a number"),
    ],
)
def test_a_bad_agreed_amount_refuses_the_resolution(w, amount, problem):
    query = raise_on_line(w)
    runs = BillingRun.objects.count()
    with pytest.raises(QueryRefused, match=problem):
        statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="Agreed.",
            agreed_amount=amount,
        )
    assert StatementQuery.objects.get(pk=query.pk).status == "open" and BillingRun.objects.count() == runs


def test_a_file_and_an_amount_together_are_refused(w):
    query = raise_on_line(w)
    with pytest.raises(QueryRefused, match="one of them"):
        statement_query_resolve(
            query_id=query.pk,
            user=w["procurement"],
            resolution="accepted",
            text="Agreed.",
            corrected=CorrectedFile("k.csv", corrected_file(w["contract"])),
            agreed_amount=Decimal("10.00"),
        )


# --- acknowledging ------------------------------------------------------------------------


def test_a_supplier_acknowledges_a_self_billed_invoice_once(w):
    acknowledgement = statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])
    assert acknowledgement.acknowledged_by == w["supplier"] and acknowledgement.acknowledged_at
    assert "acknowledged" in kinds(w["statement"])
    with pytest.raises(QueryRefused, match="already acknowledged by northwind-user"):
        statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])
    assert StatementAcknowledgement.objects.filter(statement=w["statement"]).count() == 1


@pytest.mark.parametrize("who", ["other_supplier", "procurement"])
def test_only_the_documents_supplier_acknowledges(w, who):
    with pytest.raises(QueryRefused):
        statement_acknowledge(statement_id=w["statement"].pk, user=w[who])
    assert not StatementAcknowledgement.objects.exists()


def test_a_document_that_is_not_self_billed_is_not_acknowledged(w):
    contract = w["contract"]
    type(contract).objects.filter(pk=contract.pk).update(self_billing=False)
    with pytest.raises(QueryRefused, match="not a self-billed invoice"):
        statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])


def test_a_void_invoice_is_not_acknowledged(w):
    statement_void(statement_id=w["statement"].pk, reason="issued twice")
    with pytest.raises(QueryRefused, match="void"):
        statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])


def test_messages_and_acknowledgements_are_append_only_in_bulk_too(w):
    raise_on_line(w)
    statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])
    with pytest.raises(ImmutableError):
        QueryMessage.objects.all().update(text="rewritten")
    with pytest.raises(ImmutableError):
        StatementAcknowledgement.objects.all().update(acknowledged_by=w["other_supplier"])
    for model in (QueryMessage, StatementAcknowledgement):
        with pytest.raises(ImmutableError):
            model.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_querymessage SET text = 'rewritten'",
        "DELETE FROM billing_querymessage",
        "UPDATE billing_statementacknowledgement SET acknowledged_at = now()",
        "DELETE FROM billing_statementacknowledgement",
    ],
)
def test_postgresql_refuses_changing_or_deleting_messages_and_acknowledgements(w, sql):
    from django.db import DatabaseError, connection, transaction

    raise_on_line(w)
    statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert QueryMessage.objects.get().text == "The voice volume is 1,400, not 1,500."
    assert StatementAcknowledgement.objects.exists()
