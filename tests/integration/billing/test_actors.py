"""Who did what: actors on the statement, the append-only event log, the approve and issue
permissions, four-eyes, and admin actions in Django's admin log."""

import json
from datetime import date
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from billing.actors import SYSTEM_USERNAME, system_actor
from billing.immutability import ImmutableError
from billing.models import BillingRun, Statement, StatementEvent
from billing.pdf import statement_pdf_store
from billing.selectors import statement_events
from billing.serializers import invoice_document
from billing.services import (
    BillingError,
    billing_run_create,
    statement_approve,
    statement_issue,
    statement_price_draft,
    statements_price,
)
from billing.tasks import run_billing_for_previous_month
from contracts.models import Membership
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db
JAN = Period(2026, 1)


def procurement(contract, username: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    return user


def priced_by(contract, user) -> Statement:
    """January priced by a billing run ``user`` started."""
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    run = billing_run_create(period=JAN, contract_reference=contract.reference, requested_by=user)
    statements_price(contract_ids=[contract.pk], period=JAN, billing_run_id=run.pk)
    return Statement.objects.get(contract=contract, period="2026-01")


@pytest.fixture
def four_eyes(settings):
    settings.FOUR_EYES = True


def kinds(statement) -> list[tuple[str, str | None]]:
    return [
        (event.kind, event.actor and event.actor.username) for event in statement_events(statement=statement)
    ]


# --- four-eyes ----------------------------------------------------------------------------


def test_whoever_started_the_run_may_not_approve_its_draft(four_eyes, contract):
    runner, approver = procurement(contract, "acme-procurement"), procurement(contract, "acme-approver")
    draft = priced_by(contract, runner)
    with pytest.raises(BillingError, match="four-eyes: acme-procurement started the billing run"):
        statement_approve(statement_id=draft.pk, user=runner)
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == ("draft", None)
    approved = statement_approve(statement_id=draft.pk, user=approver)
    assert (approved.status, approved.approved_by) == ("approved", approver)


def test_whoever_approved_may_not_issue(four_eyes, contract):
    runner, approver = procurement(contract, "acme-procurement"), procurement(contract, "acme-approver")
    draft = priced_by(contract, runner)
    statement_approve(statement_id=draft.pk, user=approver)
    with pytest.raises(
        BillingError, match=r"four-eyes: acme-approver approved .*another procurement user must issue"
    ):
        statement_issue(statement_id=draft.pk, user=approver)
    issued = statement_issue(statement_id=draft.pk, user=runner, issue_date=date(2026, 2, 3))
    issued.refresh_from_db()
    assert (issued.status, issued.approved_by, issued.issued_by) == ("issued", approver, runner)


def test_four_eyes_off_lets_one_user_do_both(settings, contract):
    settings.FOUR_EYES = False
    runner = procurement(contract, "acme-procurement")
    draft = priced_by(contract, runner)
    statement_approve(statement_id=draft.pk, user=runner)
    assert statement_issue(statement_id=draft.pk, user=runner).status == "issued"


def test_an_approval_by_no_one_does_not_block_issue(four_eyes, contract):
    draft = priced_by(contract, procurement(contract, "acme-procurement"))
    statement_approve(statement_id=draft.pk)
    issuer = procurement(contract, "acme-approver")
    assert statement_issue(statement_id=draft.pk, user=issuer).issued_by == issuer


def test_approve_and_issue_need_their_own_permissions(contract):
    clerk = User.objects.create_user("clerk", is_staff=True)
    draft = priced_by(contract, None)
    with pytest.raises(
        BillingError, match="clerk may not approve statements: the approve_statement permission"
    ):
        statement_approve(statement_id=draft.pk, user=clerk)
    statement_approve(statement_id=draft.pk)
    with pytest.raises(BillingError, match="clerk may not issue statements: the issue_statement permission"):
        statement_issue(statement_id=draft.pk, user=clerk)
    assert Statement.objects.get(pk=draft.pk).status == "approved"


# --- the commands -------------------------------------------------------------------------


def issue_command(*args) -> str:
    out = StringIO()
    call_command("issue_statements", "--period", "2026-01", *args, stdout=out)
    return out.getvalue()


def test_issue_statements_user_follows_four_eyes(four_eyes, contract):
    runner, approver = procurement(contract, "acme-procurement"), procurement(contract, "acme-approver")
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    call_command("run_billing", "--period", "2026-01", "--user", "acme-procurement", stdout=StringIO())
    assert BillingRun.objects.get().requested_by == runner
    with pytest.raises(CommandError, match="four-eyes: acme-procurement started the billing run"):
        issue_command("--approve-only", "--user", "acme-procurement")
    assert "1 statement(s) approved" in issue_command("--approve-only", "--user", "acme-approver")
    with pytest.raises(CommandError, match="four-eyes: acme-approver approved"):
        issue_command("--user", "acme-approver")
    assert "1 statement(s) issued" in issue_command(
        "--user", "acme-procurement", "--issue-date", "2026-02-03"
    )
    statement = Statement.objects.get(contract=contract, period="2026-01")
    assert (statement.approved_by, statement.issued_by) == (approver, runner)
    exported = json.loads(_export())
    assert (exported[0]["approved_by"], exported[0]["issued_by"]) == ("acme-approver", "acme-procurement")


def _export() -> str:
    out = StringIO()
    call_command("export_statements", "--period", "2026-01", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "--user: no active user named 'nobody'"), ("x" * 151, "--user: a username has at most 150")],
)
def test_an_unknown_user_is_refused_and_changes_nothing(contract, username, message):
    priced_by(contract, None)
    with pytest.raises(CommandError, match=message):
        issue_command("--user", username)
    assert Statement.objects.get(contract=contract).status == "draft"
    with pytest.raises(CommandError, match=message):
        call_command("run_billing", "--period", "2026-01", "--user", username, stdout=StringIO())


def test_a_run_without_user_and_the_schedule_act_as_the_system_actor(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())
    run = BillingRun.objects.get()
    assert run.requested_by.username == SYSTEM_USERNAME
    assert not run.requested_by.has_usable_password() and not run.requested_by.is_staff
    assert system_actor() == run.requested_by  # one user, created once
    scheduled = BillingRun.objects.get(pk=run_billing_for_previous_month())
    assert scheduled.requested_by == run.requested_by


# --- the event log ------------------------------------------------------------------------


def test_every_state_change_is_an_event_with_its_actor(contract):
    runner, approver = procurement(contract, "acme-procurement"), procurement(contract, "acme-approver")
    first = priced_by(contract, runner)
    load_kpis(month(contract.reference, "2026-01", 1600, 78), name="again.csv")
    run = billing_run_create(period=JAN, requested_by=approver)
    statements_price(contract_ids=[contract.pk], period=JAN, billing_run_id=run.pk)
    draft = Statement.objects.get(contract=contract, period="2026-01")
    assert draft.pk != first.pk  # the first draft was replaced, and deleted despite its events
    statement_approve(statement_id=draft.pk, user=approver)
    statement_issue(statement_id=draft.pk, user=runner, issue_date=date(2026, 2, 3))
    assert kinds(draft) == [
        ("created", "acme-procurement"),
        ("re-priced", "acme-approver"),
        ("inputs changed", "acme-approver"),
        ("approved", "acme-approver"),
        ("issued", "acme-procurement"),
    ]
    statement_pdf_store(statement_id=draft.pk)
    assert kinds(draft)[-1] == ("pdf stored", None)
    assert StatementEvent.objects.filter(statement_id=first.pk, kind="created").exists()
    call_command("issue_statements", "--period", "2026-01", stdout=StringIO())  # nothing left to issue
    load_kpis(month(contract.reference, "2026-01", 1700, 78), name="late.csv")
    adjustment = statement_price_draft(contract_id=contract.pk, period=JAN)
    assert kinds(adjustment) == [("adjustment created", None)]


def test_events_cannot_change_or_be_deleted(contract):
    draft = priced_by(contract, None)
    event = StatementEvent.objects.get(statement_id=draft.pk)
    with pytest.raises(ImmutableError):
        StatementEvent.objects.filter(pk=event.pk).update(kind="approved")
    with pytest.raises(ImmutableError):
        StatementEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ImmutableError):
        event.delete()
    event.kind = "approved"
    with pytest.raises(ImmutableError):
        event.save()
    assert StatementEvent.objects.get(pk=event.pk).kind == "created"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
)
@pytest.mark.parametrize(
    "sql", ["UPDATE billing_statementevent SET kind = 'approved'", "DELETE FROM billing_statementevent"]
)
def test_postgresql_refuses_changing_or_deleting_events(contract, sql):
    priced_by(contract, None)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert StatementEvent.objects.filter(kind="created").exists()


# --- the admin and the API ----------------------------------------------------------------


def test_admin_actions_are_checked_logged_and_shown(four_eyes, client, contract):
    runner, approver = procurement(contract, "acme-procurement"), procurement(contract, "acme-approver")
    draft = priced_by(contract, runner)
    url = reverse("admin:billing_statement_changelist")
    client.force_login(runner)
    page = client.post(
        url, {"action": "approve", "_selected_action": [draft.pk]}, follow=True
    ).content.decode()
    assert "four-eyes: acme-procurement started the billing run" in page.lower()
    assert Statement.objects.get(pk=draft.pk).status == "draft"
    client.force_login(approver)
    client.post(url, {"action": "approve", "_selected_action": [draft.pk]})
    client.force_login(runner)
    client.post(url, {"action": "issue", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by, draft.issued_by) == ("issued", approver, runner)
    logged = LogEntry.objects.filter(object_id=str(draft.pk)).order_by("pk")
    assert [(entry.user.username, entry.get_change_message()) for entry in logged] == [
        ("acme-approver", "Approved (admin action)"),
        ("acme-procurement", "Issued (admin action)"),
    ]
    page = client.get(reverse("admin:billing_statement_change", args=[draft.pk])).content.decode()
    assert 'id="events"' in page and "acme-approver" in page and "Issued" in page


def test_the_api_shows_who_acted_and_records_the_payer(contract):
    runner, approver = procurement(contract, "acme-procurement"), procurement(contract, "acme-approver")
    draft = priced_by(contract, runner)
    statement_approve(statement_id=draft.pk, user=approver)
    issued = statement_issue(statement_id=draft.pk, user=runner, issue_date=date(2026, 2, 3))
    finance = User.objects.create_user("finance-acme")
    Membership.objects.create(user=finance, organisation=contract.buyer, role="finance")
    client = APIClient()
    client.force_authenticate(finance)
    served = client.get(f"/api/v1/invoices/{issued.number}/").json()
    assert (served["approved_by"], served["issued_by"], served["paid_by"]) == (
        "acme-approver",
        "acme-procurement",
        None,
    )
    response = client.post(f"/api/v1/invoices/{issued.number}/mark-paid/", {}, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert response.status_code == 200 and response.json()["paid_by"] == "finance-acme"
    assert Statement.objects.get(pk=issued.pk).paid_by == finance
    assert invoice_document(issued.pk)["paid_by"] == "finance-acme"
    assert kinds(issued)[-1] == ("paid", "finance-acme")


def test_a_command_user_acts_only_on_its_own_buyers_contracts(contract):
    other = load_contract(
        "BETA-T-001", supplier="Gamma CX Ltd", buyer_code="BETAB", buyer_name="Beta Bank plc"
    )
    procurement(other, "beta-procurement")
    priced_by(contract, None)
    assert "0 statement(s) approved" in issue_command("--approve-only", "--user", "beta-procurement")
    assert "0 statement(s) issued" in issue_command("--user", "beta-procurement")
    assert Statement.objects.get(contract=contract).status == "draft"
    User.objects.create_user("outsider")
    with pytest.raises(CommandError, match="--user: outsider is not a procurement user of a buyer"):
        issue_command("--user", "outsider")
