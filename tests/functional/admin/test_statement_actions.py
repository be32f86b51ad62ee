"""Approve, issue and void from the statement's own admin page, as procurement users would:
buttons only where the action is possible, a confirmation page that says what will happen,
the change on POST only, the number assigned in the result, and every rule's refusal shown."""

import shutil
import subprocess

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from billing.models import Statement, StatementEvent
from billing.services import billing_run_create, statements_price
from billing.statement_actions import MAX_VOID_REASON
from contracts.models import Membership
from pricing.period import Period
from tests.functional.admin.test_tenancy import buyer_world
from tests.integration.billing.conftest import load_kpis, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return buyer_world(code="ACME", name="Acme Telecom plc", supplier="Alpha CX Ltd", reference="ACME-001")


@pytest.fixture
def globex():
    return buyer_world(
        code="GLOBEX", name="Globex Mobile Ltd", supplier="Beta CX Ltd", reference="GLOBEX-001"
    )


def procurement(contract, username: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, statement) -> str:
    return reverse(f"admin:billing_statement_{name}", args=[statement.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def status_of(statement) -> str:
    return Statement.objects.get(pk=statement.pk).status


def test_buttons_show_only_the_actions_the_status_and_permissions_allow(acme):
    client = client_for(acme["user"])
    draft_page = client.get(url("change", acme["draft"])).content.decode()
    assert url("approve", acme["draft"]) in draft_page
    assert url("issue", acme["draft"]) not in draft_page and url("void", acme["draft"]) not in draft_page
    assert url("preview_pdf", acme["draft"]) in draft_page
    assert reverse("portal:procurement-preview", args=[acme["draft"].pk]) in draft_page
    issued_page = client.get(url("change", acme["issued"])).content.decode()
    assert url("void", acme["issued"]) in issued_page
    assert (
        url("approve", acme["issued"]) not in issued_page and url("issue", acme["issued"]) not in issued_page
    )
    assert url("preview_pdf", acme["issued"]) not in issued_page
    # A user who may only view has no button and no action page.
    viewer = procurement(acme["contract"], "acme-viewer")
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_statement"))
    viewer_client = client_for(viewer)
    page = viewer_client.get(url("change", acme["draft"])).content.decode()
    assert url("approve", acme["draft"]) not in page and url("preview_pdf", acme["draft"]) in page
    assert (
        url("void", acme["issued"]) not in viewer_client.get(url("change", acme["issued"])).content.decode()
    )
    for name, statement in (("approve", acme["draft"]), ("void", acme["issued"])):
        assert viewer_client.get(url(name, statement)).status_code == 403
        assert viewer_client.post(url(name, statement), {"reason": "r"}).status_code == 403
    assert (status_of(acme["draft"]), status_of(acme["issued"])) == ("draft", "issued")


def test_approve_then_issue_says_what_happens_and_shows_the_number_assigned(settings, acme):
    settings.FOUR_EYES = True
    approver, issuer = acme["user"], procurement(acme["contract"], "acme-issuer")
    draft = acme["draft"]
    confirm = client_for(approver).get(url("approve", draft))
    assert confirm.status_code == 200 and status_of(draft) == "draft"  # a GET changes nothing
    assert "nobody outside procurement sees it" in confirm.content.decode()
    response = client_for(approver).post(url("approve", draft))
    assert response.status_code == 302 and response["Location"] == url("change", draft)
    assert status_of(draft) == "approved"
    assert messages_of(response) == [
        f"Approved {Statement.objects.get(pk=draft.pk)}: it can now be issued by someone allowed to issue."
    ]

    page = client_for(issuer).get(url("issue", draft)).content.decode()
    # January took ACME-2026-000001, so the series' next value is 2.
    assert 'id="series-prefix">ACME-2026</strong>' in page and "next now: ACME-2026-000002" in page
    assert "The PDF is rendered and stored once" in page
    assert "<strong>Alpha CX Ltd</strong> sees it in its supplier portal" in page
    assert "Acme Telecom plc's finance team in the finance API" in page
    assert "self-billing agreement with Alpha CX Ltd covers the issue date" in page
    assert 'id="refusal"' not in page
    response = client_for(issuer).post(url("issue", draft), follow=True)
    issued = Statement.objects.get(pk=draft.pk)
    assert (issued.status, issued.number, issued.approved_by, issued.issued_by) == (
        "issued",
        "ACME-2026-000002",
        approver,
        issuer,
    )
    assert any(m.startswith("Issued as ACME-2026-000002, dated ") for m in messages_of(response))
    assert "Issued as ACME-2026-000002" in response.content.decode()
    logged = LogEntry.objects.filter(object_id=str(draft.pk)).order_by("pk")
    assert [(entry.user.username, entry.get_change_message()) for entry in logged] == [
        ("procurement-acme", "Approved (statement page)"),
        ("acme-issuer", "Issued (statement page)"),
    ]


def test_four_eyes_refusals_are_shown_naming_the_rule(settings, acme):
    settings.FOUR_EYES = True
    runner, other = acme["user"], procurement(acme["contract"], "acme-other")
    load_kpis(month("ACME-001", "2026-03", 1600, 82), name="march.csv")
    run = billing_run_create(period=Period(2026, 3), contract_reference="ACME-001", requested_by=runner)
    statements_price(contract_ids=[acme["contract"].pk], period=Period(2026, 3), billing_run_id=run.pk)
    march = Statement.objects.get(contract=acme["contract"], period="2026-03")
    # The confirmation page warns before anything is posted; the POST is refused.
    page = client_for(runner).get(url("approve", march)).content.decode()
    assert "This will be refused: four-eyes: procurement-acme started the billing run" in page
    response = client_for(runner).post(url("approve", march))
    assert status_of(march) == "draft"
    (message,) = messages_of(response)
    assert message.startswith("Not approved: four-eyes: procurement-acme started the billing run")
    client_for(other).post(url("approve", march))
    assert status_of(march) == "approved"
    page = client_for(other).get(url("issue", march)).content.decode()
    assert "This will be refused: four-eyes: acme-other approved" in page
    response = client_for(other).post(url("issue", march))
    assert status_of(march) == "approved" and Statement.objects.get(pk=march.pk).number is None
    (message,) = messages_of(response)
    assert message.startswith("Not issued: four-eyes: acme-other approved")
    assert not LogEntry.objects.filter(object_id=str(march.pk), user=runner).exists()


def test_issue_refused_without_a_self_billing_agreement(acme):
    draft = acme["draft"]
    client = client_for(acme["user"])
    client.post(url("approve", draft))
    acme["contract"].self_billing_agreements.all().delete()
    page = client.get(url("issue", draft)).content.decode()
    assert "This will be refused: ACME-001 is self-billed and no self-billing agreement" in page
    response = client.post(url("issue", draft))
    assert status_of(draft) == "approved"
    assert messages_of(response)[-1].startswith("Not issued: ACME-001 is self-billed")


def test_void_asks_for_a_bounded_reason_and_keeps_the_number(acme):
    issued = acme["issued"]
    client = client_for(acme["user"])
    page = client.get(url("void", issued)).content.decode()
    assert (
        f"It keeps its number {issued.number}" in page and "Alpha CX Ltd</strong> sees it marked void" in page
    )
    for reason in ("", " ", "x" * (MAX_VOID_REASON + 1)):
        response = client.post(url("void", issued), {"reason": reason})
        assert response.status_code == 200 and "reason" in response.context["form"].errors, repr(reason[:5])
        assert status_of(issued) == "issued"
    response = client.post(url("void", issued), {"reason": "billed the wrong site"})
    voided = Statement.objects.get(pk=issued.pk)
    assert (voided.status, voided.number, voided.void_reason) == (
        "void",
        issued.number,
        "billed the wrong site",
    )
    assert messages_of(response) == [f"Voided {issued.number}: billed the wrong site"]


def test_an_action_from_the_wrong_status_changes_nothing_and_says_why(acme):
    client = client_for(acme["user"])
    for name, statement, reason in (
        ("approve", acme["issued"], "only a draft can be approved"),
        ("issue", acme["draft"], "only an approved statement can be issued"),
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(url(name, statement))
            assert response.status_code == 302, (name, method)
            assert messages_of(response)[-1].endswith(reason)
    assert (status_of(acme["issued"]), status_of(acme["draft"])) == ("issued", "draft")


def test_changes_need_post_with_csrf(acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme["user"])
    assert client.post(url("approve", acme["draft"])).status_code == 403
    assert client_for(acme["user"]).put(url("approve", acme["draft"])).status_code == 405
    assert status_of(acme["draft"]) == "draft"
    page = client.get(url("approve", acme["draft"]))
    token = page.cookies["csrftoken"].value
    client.post(url("approve", acme["draft"]), {"csrfmiddlewaretoken": token})
    assert status_of(acme["draft"]) == "approved"


def test_another_buyers_statement_is_not_found(acme, globex):
    client = client_for(acme["user"])
    for statement in (globex["draft"], globex["issued"]):
        for name in ("approve", "issue", "void", "preview_pdf"):
            assert client.get(url(name, statement)).status_code == 404, name
            if name != "preview_pdf":
                assert client.post(url(name, statement), {"reason": "taken"}).status_code == 404, name
    assert (status_of(globex["draft"]), status_of(globex["issued"])) == ("draft", "issued")
    for bogus in ("0", "99999999999999999999999", "abc", "1%00"):
        assert client.get(f"/admin/billing/statement/{bogus}/approve/").status_code in (302, 404), bogus


def pdf_pages_text(pdf: bytes) -> list[str]:
    """Each page's text, with wrapped lines joined."""
    raw = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return [" ".join(page.split()) for page in raw.stdout.decode().split("\f") if page.strip()]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_draft_pdf_preview_is_marked_inline_and_never_stored(acme):
    client = client_for(acme["user"])
    draft = acme["draft"]
    events = StatementEvent.objects.filter(statement_id=draft.pk).count()
    response = client.get(url("preview_pdf", draft))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="DRAFT-ACME-001-2026-02-r1.pdf"'
    pages = pdf_pages_text(response.content)
    assert pages and all("DRAFT — NOT A TAX INVOICE" in page for page in pages)
    draft.refresh_from_db()
    assert (draft.status, draft.number, bool(draft.pdf)) == ("draft", None, False)
    assert StatementEvent.objects.filter(statement_id=draft.pk).count() == events
    # An issued statement's PDF is the stored one: it has no preview.
    response = client.get(url("preview_pdf", acme["issued"]))
    assert response.status_code == 302
    assert messages_of(response)[-1].endswith("its stored PDF is the document")
    assert client.post(url("preview_pdf", draft)).status_code == 405
