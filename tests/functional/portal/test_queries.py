"""The portal's queries and acknowledgement: raising a query on a line or the whole document,
the thread with its actors and times, the "Queried" badge, bad input refused with a message,
and acknowledging a self-billed invoice."""

from datetime import date

import pytest
from django.contrib.auth.models import Group

from billing.models import StatementAcknowledgement, StatementQuery
from billing.queries import CorrectedFile, statement_query_reply, statement_query_resolve
from billing.services import statement_approve, statement_issue
from contracts.models import Membership
from tests.integration.billing.queries_world import corrected_file

from .conftest import portal_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(world):
    return signed_in(world["alpha"])


@pytest.fixture
def procurement(world):
    user = portal_user(world["alpha_contract"].buyer, role="procurement", username="acme-procurement")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Procurement"))
    assert Membership.objects.filter(user=user).exists()
    return user


def page(client, statement) -> str:
    response = client.get(f"/statements/{statement.number}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_supplier_raises_a_query_on_a_line_and_sees_the_thread(world, alpha, procurement):
    statement = world["alpha_jan"]
    assert 'id="raise-query"' in page(alpha, statement) and "No queries on this document." in page(
        alpha, statement
    )
    response = alpha.post(
        f"/statements/{statement.number}/queries/", {"subject": "2", "text": "Voice is 1,400\r\ncalls."}
    )
    query = StatementQuery.objects.get(statement=statement)
    assert response.status_code == 302
    assert response["Location"] == f"/statements/{statement.number}/#query-{query.pk}"
    assert query.line_position == 2 and query.messages.get().text == "Voice is 1,400\ncalls."
    statement_query_reply(query_id=query.pk, user=procurement, text="We counted 1,500.")
    body = page(alpha, statement)
    assert (
        f'id="query-{query.pk}"' in body and "line 3: Sla (sla, service credit, service_level)" in body
    )  # numbered from 1
    assert "Voice is 1,400<br>calls." in body and "We counted 1,500." in body
    assert f"{world['alpha'].username} (Alpha CX Ltd)" in body
    assert "acme-procurement (Acme Telecom plc)" in body
    assert query.raised_at.strftime("%Y") in body
    assert 'id="queried-notice"' in body and "status-queried" in body
    listing = alpha.get("/statements/").content.decode()
    assert listing.count("status-queried") == 1


def test_a_query_on_the_whole_statement(world, alpha):
    statement = world["alpha_jan"]
    alpha.post(f"/statements/{statement.number}/queries/", {"subject": "whole", "text": "Why?"})
    assert StatementQuery.objects.get(statement=statement).line_position is None
    assert "on the whole statement" in page(alpha, statement)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "whole", "text": "  \r\n "}, "it cannot be empty"),
        ({"subject": "whole", "text": "x" * 4001}, "at most 4,000"),
        ({"subject": "whole", "text": "bad\x00byte"}, "Null characters are not allowed"),
        ({"subject": "whole", "text": "esc\x1b[2J"}, "U+001B"),
        ({"subject": "99", "text": "Why?"}, "Select a valid choice"),
        ({"subject": "-1", "text": "Why?"}, "Select a valid choice"),
        ({"subject": "2" * 40, "text": "Why?"}, "Select a valid choice"),
        ({"text": "Why?"}, "This field is required."),
    ],
)
def test_a_bad_query_is_refused_with_a_message_and_writes_nothing(world, alpha, data, message):
    statement = world["alpha_jan"]
    response = alpha.post(f"/statements/{statement.number}/queries/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "The query was not raised" in response.content.decode()
    assert not StatementQuery.objects.exists()


def test_a_bad_reply_is_refused_and_a_resolved_querys_thread_is_closed(world, alpha, procurement):
    statement = world["alpha_jan"]
    alpha.post(f"/statements/{statement.number}/queries/", {"subject": "whole", "text": "Why?"})
    query = StatementQuery.objects.get()
    url = f"/statements/{statement.number}/queries/{query.pk}/reply/"
    response = alpha.post(url, {"text": "tab\there"})
    assert response.status_code == 400 and "U+0009" in response.content.decode()
    statement_query_resolve(
        query_id=query.pk, user=procurement, resolution="explained", text="Counted on answer."
    )
    response = alpha.post(url, {"text": "But..."})
    assert response.status_code == 400 and "thread is closed" in response.content.decode()
    assert query.messages.count() == 2
    body = page(alpha, statement)
    assert "Explained: nothing changes" in body and "reply-" not in body
    assert 'id="queried-notice"' not in body


def test_an_accepted_query_links_the_adjustment_once_it_is_issued(
    world, alpha, procurement, django_capture_on_commit_callbacks
):
    statement = world["alpha_jan"]
    alpha.post(f"/statements/{statement.number}/queries/", {"subject": "2", "text": "1,600 calls."})
    query = StatementQuery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        statement_query_resolve(
            query_id=query.pk,
            user=procurement,
            resolution="accepted",
            text="Agreed.",
            corrected=CorrectedFile("fix.csv", corrected_file(world["alpha_contract"])),
        )
    adjustment = statement.adjustments.get()
    body = page(alpha, statement)
    assert "will be linked here once it is issued" in body
    statement_approve(statement_id=adjustment.pk)
    issued = statement_issue(statement_id=adjustment.pk, issue_date=date(2026, 3, 3))
    body = page(alpha, statement)
    assert f'by <a href="/statements/{issued.number}/">{issued.number}</a>' in body


def test_a_supplier_acknowledges_a_self_billed_invoice_once(world, alpha):
    statement = world["alpha_jan"]
    assert "Acknowledge this invoice" in page(alpha, statement)
    response = alpha.post(f"/statements/{statement.number}/acknowledge/")
    assert response.status_code == 302 and response["Location"].endswith("#acknowledgement")
    acknowledgement = StatementAcknowledgement.objects.get(statement=statement)
    body = page(alpha, statement)
    assert f"Acknowledged by {world['alpha'].username} on" in body and "Acknowledge this invoice" not in body
    response = alpha.post(f"/statements/{statement.number}/acknowledge/")
    assert response.status_code == 400
    assert "already acknowledged" in response.content.decode()
    assert StatementAcknowledgement.objects.get(statement=statement) == acknowledgement


def test_the_procurement_preview_shows_the_thread_without_the_forms(world, alpha, procurement):
    statement = world["alpha_jan"]
    alpha.post(f"/statements/{statement.number}/queries/", {"subject": "whole", "text": "Why this month?"})
    body = signed_in(procurement).get(f"/preview/statements/{statement.pk}/")
    assert body.status_code == 200
    text = body.content.decode()
    assert "Why this month?" in text
    assert 'id="raise-query"' not in text and "Acknowledge this invoice" not in text and "reply-" not in text
