"""Notification emails: the right recipients only, once per event and user, on commit only,
with text and HTML parts that name the document and its amount and link back absolutely."""

import smtplib
from datetime import date

import pytest
from celery import current_app
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.test import override_settings

from billing.models import Statement
from billing.services import statement_approve, statement_issue, statements_issue_period
from billing.signals import query_answered, query_raised, statement_issued
from core.formatting import money_display
from notifications import services, tasks
from notifications.models import NotificationDelivery, NotificationPreference
from pricing.period import Period
from tests.functional.portal.conftest import issue, price

from .conftest import SITE, recipients

pytestmark = pytest.mark.django_db

ALPHA_RECIPIENTS = ["alpha-1@example.com", "alpha-2@example.com"]


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


# --- a statement is issued ------------------------------------------------------------------


def test_issuing_emails_the_suppliers_active_users_with_an_address_and_no_one_else(
    parties, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue_alpha(parties)
    # Not Beta's users, not either buyer's procurement or finance, not a superuser, not the
    # Alpha user without an address nor the inactive one.
    assert recipients() == ALPHA_RECIPIENTS
    assert all(len(message.to) == 1 for message in mail.outbox)  # one email per recipient
    assert all(statement.number in message.subject for message in mail.outbox)


def issue_alpha(parties) -> Statement:
    statement_approve(statement_id=parties["alpha_draft"].pk)
    return statement_issue(statement_id=parties["alpha_draft"].pk, issue_date=date(2026, 2, 3))


def test_the_email_has_text_and_html_naming_the_document_and_amount_with_absolute_links(
    parties, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue_alpha(parties)
    message = next(m for m in mail.outbox if m.to == ["alpha-2@example.com"])
    html = html_of(message)
    gross = money_display(statement.gross, statement.currency)
    assert gross.startswith("£") and "," in gross  # as the portal shows it: £16,560.00
    page = f"{SITE}/statements/{statement.number}/"
    preferences = f"{SITE}/notifications/"
    for body in (message.body, html):
        assert f"invoice {statement.number}" in body  # mid-sentence: "has issued invoice ..."
        assert gross in body
        assert "2026-01" in body and "ACME-N-001" in body
        assert page in body and preferences in body
        assert "Ada Lane" in body  # addressed by name when the user has one
    assert gross in message.subject and message.subject.startswith(f"Invoice {statement.number} issued")
    assert f'href="{page}"' in html and f'href="{preferences}"' in html
    assert message.body.rstrip().endswith(preferences)  # the last line says how to stop them
    assert message.extra_headers["List-Unsubscribe"] == f"<{preferences}>"
    assert message.from_email == "billing@localhost"


def test_a_user_who_turned_issue_emails_off_gets_none(parties, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=parties["alpha"], kind="statement_issued", enabled=False)
    # Turning off another kind changes nothing for this one.
    NotificationPreference.objects.create(user=parties["alpha_2"], kind="query_answered", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        issue_alpha(parties)
    assert recipients() == ["alpha-2@example.com"]


def test_issuing_sends_after_commit_only(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issue_alpha(parties)
        assert mail.outbox == []  # issued, not yet committed: nothing sent
    assert len(callbacks) == 3  # the PDF, the re-pricing of drafts waiting for it, and the signal
    assert recipients() == ALPHA_RECIPIENTS


def test_an_issue_that_is_rolled_back_sends_nothing(parties, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        issue_alpha(parties)
        raise RuntimeError("the surrounding work failed")
    assert callbacks == [] and mail.outbox == []
    assert Statement.objects.get(pk=parties["alpha_draft"].pk).status == "draft"
    assert not NotificationDelivery.objects.exists()


def test_a_period_issue_emails_each_document_once_to_its_own_supplier(
    parties, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = statements_issue_period(period=Period.parse("2026-01"))
    numbers = {statement.contract.reference: statement.number for statement in issued}
    assert len(numbers) == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == [*ALPHA_RECIPIENTS, "beta-1@example.com"]
    assert len(mail.outbox) == 3
    assert numbers["ACME-N-001"] in by_address["alpha-1@example.com"].subject
    assert numbers["GLOBEX-N-001"] in by_address["beta-1@example.com"].subject
    assert numbers["GLOBEX-N-001"] not in by_address["alpha-1@example.com"].body


# --- at most once ---------------------------------------------------------------------------


def test_the_same_event_sent_twice_emails_each_user_once(issued):
    for _ in range(2):
        statement_issued.send(sender=Statement, statement=issued, actor=None)
    assert recipients() == []  # the issue itself already sent them (the fixture)
    assert NotificationDelivery.objects.filter(event_key=f"statement_issued:{issued.pk}").count() == 2


def test_a_duplicated_task_sends_nothing_the_first_sent(parties, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        statement = issue_alpha(parties)
    for _ in range(3):  # three tasks for one event, each with its own id
        tasks.notification_send.apply(args=("statement_issued", statement.pk, {})).get()
    assert recipients() == ALPHA_RECIPIENTS
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"sent"}


class FlakyBackend(EmailBackend):
    """The locmem backend whose server drops the first ``failures`` sends."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky():
    FlakyBackend.failures = 0
    with override_settings(EMAIL_BACKEND=f"{__name__}.FlakyBackend"):
        yield FlakyBackend


def test_a_send_that_fails_is_retried_by_its_task_and_sent_once(parties, flaky, monkeypatch):
    # In-process runs propagate the first error; a worker's retries do not, and neither do these.
    monkeypatch.setitem(current_app.conf, "task_eager_propagates", False)
    task = tasks.notification_send
    assert task.autoretry_for == services.SEND_ERRORS and task.retry_backoff and task.retry_jitter
    statement = issue_alpha(parties)  # no commit callbacks in this test: the task is sent below
    flaky.failures = 2
    # As a worker runs it (without the waits): each retry is the same task, under the same id.
    result = task.apply(args=("statement_issued", statement.pk, {}), throw=False)
    assert result.get() == 2  # the last attempt sent both emails left: the failed one and the next
    assert recipients() == ALPHA_RECIPIENTS
    first = NotificationDelivery.objects.get(user=parties["alpha"])
    assert first.status == "sent" and first.attempts == 3 and "SMTPServerDisconnected" in first.last_error
    assert NotificationDelivery.objects.get(user=parties["alpha_2"]).attempts == 1


def test_another_task_never_sends_a_claim_whose_send_failed(parties, flaky):
    statement = issue_alpha(parties)
    flaky.failures = 1
    with pytest.raises(smtplib.SMTPServerDisconnected):
        services.notification_event_send(
            kind="statement_issued", statement_id=statement.pk, details={}, owner="task-1"
        )
    assert NotificationDelivery.objects.get(user=parties["alpha"]).status == "failed"
    # A duplicate of the event sends to whoever task-1 had not claimed, never task-1's claim.
    assert (
        services.notification_event_send(
            kind="statement_issued", statement_id=statement.pk, details={}, owner="task-2"
        )
        == 1
    )
    assert recipients() == ["alpha-2@example.com"]
    # task-1's retry takes its claim back and sends it; after that, nothing is left to send.
    for owner in ("task-1", "task-1", "task-2"):
        services.notification_event_send(
            kind="statement_issued", statement_id=statement.pk, details={}, owner=owner
        )
    assert recipients() == ALPHA_RECIPIENTS


def test_a_mail_server_that_stays_down_never_fails_the_issue(
    parties, flaky, django_capture_on_commit_callbacks, caplog
):
    flaky.failures = 1000
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue_alpha(parties)
    assert Statement.objects.get(pk=statement.pk).status == "issued"
    assert mail.outbox == []
    # In-process (no broker) there is one attempt; a worker retries with backoff (above).
    delivery = NotificationDelivery.objects.get(user=parties["alpha"])
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "notification statement_issued for statement" in caplog.text


def test_an_event_of_a_statement_without_a_number_sends_nothing(parties):
    assert (
        services.notification_event_send(
            kind="statement_issued", statement_id=parties["alpha_draft"].pk, details={}, owner="t"
        )
        == 0
    )
    assert (
        services.notification_event_send(kind="statement_issued", statement_id=0, details={}, owner="t") == 0
    )
    assert mail.outbox == []


# --- queries --------------------------------------------------------------------------------


def test_a_raised_query_emails_the_buyers_procurement_users_only(issued, parties):
    query_raised.send(
        sender=None,
        statement=issued,
        query_id=7,
        subject="Line 2: Voice contacts",
        text="We count 1,540 calls, not 1,500. <script>alert(1)</script>",
        actor=parties["alpha_2"],
    )
    assert recipients() == ["acme-proc@example.com"]  # not Globex's, not Acme's finance user
    (message,) = mail.outbox
    html = html_of(message)
    admin_page = f"{SITE}/admin/billing/statement/{issued.pk}/change/"
    admin_preferences = f"{SITE}/admin/notifications/notificationpreference/mine/"
    for body in (message.body, html):
        assert issued.number in body and "Line 2: Voice contacts" in body and "Ada Lane" in body
        assert admin_page in body and admin_preferences in body
    assert "We count 1,540 calls, not 1,500. <script>alert(1)</script>" in message.body
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert issued.number in message.subject and "Alpha CX Ltd" in message.subject


def test_a_procurement_user_who_turned_queries_off_gets_none(issued, parties):
    NotificationPreference.objects.create(
        user=parties["acme_procurement"], kind="query_raised", enabled=False
    )
    query_raised.send(
        sender=None, statement=issued, query_id=8, subject="the whole statement", text="?", actor=None
    )
    assert mail.outbox == []


def test_an_answer_emails_the_suppliers_users_once_per_answer(issued, parties):
    answer = {
        "statement": issued,
        "query_id": 7,
        "subject": "Line 2: Voice contacts",
        "text": "The 40 calls were test calls.",
        "actor": parties["acme_procurement"],
        "resolution": "",
    }
    query_answered.send(sender=None, **answer)
    query_answered.send(sender=None, **answer)  # the same answer again: no second email
    assert recipients() == ALPHA_RECIPIENTS
    (message, _) = mail.outbox
    assert "answered" in message.subject and issued.number in message.subject
    for body in (message.body, html_of(message)):
        assert "The 40 calls were test calls." in body and f"{SITE}/statements/{issued.number}/" in body
    # Resolving it is another event.
    query_answered.send(sender=None, **{**answer, "text": "Closed as explained.", "resolution": "explained"})
    assert len(mail.outbox) == 4
    assert "resolved" in mail.outbox[-1].subject and "as explained" in mail.outbox[-1].body


def test_a_long_query_is_quoted_in_part(issued, parties):
    text = "x" * (services.QUOTED_TEXT_MAX + 500)
    query_raised.send(
        sender=None, statement=issued, query_id=9, subject="the whole statement", text=text, actor=None
    )
    (message,) = mail.outbox
    assert "x" * services.QUOTED_TEXT_MAX + " […]" in message.body
    assert "x" * (services.QUOTED_TEXT_MAX + 1) not in message.body


def test_choices_are_saved_only_for_kinds_the_user_receives(parties):
    alpha = parties["alpha"]
    assert services.notification_preferences_set(user=alpha, enabled={"query_answered": False}) == {
        "statement_issued": True,
        "query_answered": False,
    }
    with pytest.raises(services.NotificationError, match="query_raised"):
        services.notification_preferences_set(
            user=alpha, enabled={"statement_issued": False, "query_raised": False}
        )
    # Refused whole: the supplier kind in the same call was not saved either.
    assert dict(NotificationPreference.objects.filter(user=alpha).values_list("kind", "enabled")) == {
        "query_answered": False
    }


def test_an_adjustment_names_the_document_it_adjusts(issued, parties, django_capture_on_commit_callbacks):
    correction = price(parties["alpha_contract"], "2026-01", voice=1000, name="jan-fix.csv")
    with django_capture_on_commit_callbacks(execute=True):
        adjustment = issue(correction, issue_date=date(2026, 3, 3))
    assert recipients() == ALPHA_RECIPIENTS
    for message in mail.outbox:
        assert adjustment.number in message.subject
        assert f"adjusting {issued.number}" in message.body and f"adjusting {issued.number}" in html_of(
            message
        )
