"""Whose KPIs count: a supplier submits only its own figures, and its file that would change a
month already issued waits for procurement's review, through the API, the admin and the portal."""

import io
import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from billing.errors import BillingError
from billing.models import BillingRun, Statement, StatementEvent
from billing.services import statement_approve, statement_price_draft
from contracts.models import Contract, Membership
from contracts.services import contract_import_content
from kpis.models import KpiBatch
from kpis.review import ReviewRefused, kpi_batch_accept, kpi_batch_reject
from kpis.selectors import kpi_month_values
from kpis.services import kpi_batch_ingest
from pricing.period import Period
from tests.functional.portal.conftest import issue, portal_user, price, signed_in
from tests.integration.billing.conftest import CONTRACT, HEADER, load_contract, month

pytestmark = pytest.mark.django_db
JAN = Period(2026, 1)


@pytest.fixture
def world():
    """Alpha's January issued (1,500 voice contacts, service level 78 %), February a draft."""
    contract = load_contract("ACME-A-001", supplier="Alpha CX Ltd")
    january = issue(price(contract, "2026-01"))
    price(contract, "2026-02", voice=1600, service_level=82)
    reviewer = User.objects.create_user("acme-procurement", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=reviewer, organisation=contract.buyer, role="procurement")
    beta = load_contract("ACME-B-001", supplier="Beta CX Ltd")
    return {
        "contract": contract,
        "january": january,
        "supplier": portal_user(contract.supplier),
        "beta": portal_user(beta.supplier),
        "reviewer": reviewer,
    }


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def submit(user, text: str, name: str):
    upload = SimpleUploadedFile(name, (HEADER + text).encode())
    return api(user).post("/api/v1/kpi-batches/", {"file": upload}, format="multipart")


def voice(period: Period, contract) -> Decimal | None:
    values = kpi_month_values(contract_id=contract.pk, period=period)
    return values["contacts_voice"].value if "contacts_voice" in values else None


# --- what a supplier may submit ----------------------------------------------------------------


def test_a_supplier_may_not_submit_the_buyers_figures_and_nothing_is_stored(world):
    batches = KpiBatch.objects.count()
    text = month("ACME-A-001", "2026-03", 1700, 80) + "ACME-A-001,2026-03,,csat,,80,100,voice,\n"
    response = submit(world["supplier"], text, "with-csat.csv")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 4,
            "column": "kpi",
            "problem": "csat is the buyer's figure on contract ACME-A-001: only the buyer submits it",
        }
    ]
    assert KpiBatch.objects.count() == batches
    # The buyer submits the same file.
    result = kpi_batch_ingest(
        file_name="buyer.csv", content=(HEADER + text).encode(), source="api", uploaded_by=world["reviewer"]
    )
    assert result.status == "accepted"
    assert (result.batch.party, result.batch.organisation) == ("buyer", world["contract"].buyer)


def test_a_contract_file_may_make_a_survey_kpi_the_suppliers(world):
    content = CONTRACT.format(
        reference="ACME-C-001", supplier="Alpha CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    content += "kpi_sources: {csat: supplier, aht_seconds: buyer}\n"
    contract_import_content(file_name="c.yaml", content=content.encode())
    assert Contract.objects.get(reference="ACME-C-001").kpi_sources == {
        "aht_seconds": "buyer",
        "csat": "supplier",
    }
    response = submit(world["supplier"], "ACME-C-001,2026-03,,csat,,80,100,voice,\n", "csat.csv")
    assert response.status_code == 201 and response.json()["status"] == "accepted"
    response = submit(world["supplier"], "ACME-C-001,2026-03,,aht_seconds,,4000,10,voice,\n", "aht.csv")
    assert response.status_code == 400
    assert (
        "aht_seconds is the buyer's figure on contract ACME-C-001" in response.json()["errors"][0]["problem"]
    )
    # Another contract of the same supplier keeps the catalogue's sources.
    response = submit(world["supplier"], "ACME-A-001,2026-03,,csat,,80,100,voice,\n", "csat-a.csv")
    assert response.status_code == 400


# --- a late submission for an issued month ----------------------------------------------------


def held(world) -> KpiBatch:
    """Alpha sends January again with 1,400 voice contacts, and February's figures with it."""
    text = month("ACME-A-001", "2026-01", 1400, 78) + month("ACME-A-001", "2026-02", 1650, 82)
    response = submit(world["supplier"], text, "alpha-late.csv")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_review"
    assert body["held_months"] == [
        {
            "contract": "ACME-A-001",
            "period": "2026-01",
            "changes": [{"kpi": "contacts_voice", "was": "1500", "now": "1400"}],
        }
    ]
    return KpiBatch.objects.get(pk=body["batch"])


def test_a_suppliers_change_to_an_issued_month_changes_nothing_until_reviewed(world):
    batch = held(world)
    assert (batch.status, batch.party, batch.uploaded_by) == ("pending", "supplier", world["supplier"])
    contract = world["contract"]
    # Neither January nor February counts the held rows; re-pricing corrects nothing.
    assert voice(JAN, contract) == Decimal("1500") and voice(JAN.next(), contract) == Decimal("1600")
    assert statement_price_draft(contract_id=contract.pk, period=JAN) is None
    # The supplier sees its file waiting, with what it changes.
    page = signed_in(world["supplier"]).get("/kpi-submissions/")
    assert page.status_code == 200
    assert b"Pending review" in page.content and b"alpha-late.csv" in page.content
    assert b'<td data-label="Issued with" class="amount">1500</td>' in page.content
    listed = api(world["supplier"]).get("/api/v1/kpi-batches/").json()["results"]
    assert (listed[0]["id"], listed[0]["status"]) == (batch.pk, "pending")
    # The month view marks its rows.
    admin = signed_in(world["reviewer"])
    response = admin.get(reverse("admin:kpis_month"), {"contract": contract.pk, "period": "2026-01"})
    assert b"pending review" in response.content


def test_the_same_figures_again_for_an_issued_month_are_not_held(world):
    text = month("ACME-A-001", "2026-01", 1500, 78).replace(",1500,", ",1500.00,")  # other bytes
    response = submit(world["supplier"], text, "same-again.csv")
    assert response.status_code == 201 and response.json()["status"] == "accepted"


def test_procurement_accepts_and_the_issued_month_is_corrected_by_an_adjustment(
    world, settings, django_capture_on_commit_callbacks
):
    settings.FOUR_EYES = True
    batch = held(world)
    admin = signed_in(world["reviewer"])
    change_page = admin.get(reverse("admin:kpis_kpibatch_change", args=[batch.pk]))
    assert b"Review this batch" in change_page.content and b"Held for review" in change_page.content
    review = reverse("admin:kpis_kpibatch_review", args=[batch.pk])
    page = admin.get(review)
    assert page.status_code == 200 and b"<td>1500</td><td>1400</td>" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(review, {"decision": "accept"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.reviewed_by) == ("accepted", world["reviewer"])
    assert voice(JAN, world["contract"]) == Decimal("1400")
    # The run the acceptance started priced January's correction: an adjustment to review.
    run = BillingRun.objects.get(period="2026-01", requested_by=world["reviewer"])
    adjustment = Statement.objects.get(adjusts=world["january"])
    assert (adjustment.status, adjustment.billing_run) == ("draft", run)
    # 100 contacts fewer at 2.00, less the service credit's 5 % of them (10.00).
    assert adjustment.net == Decimal("-190.00")
    event = StatementEvent.objects.get(statement_id=world["january"].pk, kind="inputs changed")
    assert event.actor == world["reviewer"]
    assert event.detail == {
        "kpi_batch": batch.pk,
        "submitted_by": "supplier-alpha",
        "party": "supplier",
        "accepted_by": "acme-procurement",
    }
    assert LogEntry.objects.filter(object_id=str(batch.pk), change_message__contains="accepted").exists()
    # Four eyes: the reviewer started the correcting run, so someone else approves it.
    with pytest.raises(BillingError, match="four-eyes"):
        statement_approve(statement_id=adjustment.pk, user=world["reviewer"])
    # A batch is reviewed once.
    with pytest.raises(ReviewRefused, match="not pending review: it was accepted"):
        kpi_batch_reject(batch_id=batch.pk, user=world["reviewer"], reason="too late")


def test_procurement_rejects_with_a_reason_the_supplier_reads(world):
    batch = held(world)
    admin = signed_in(world["reviewer"])
    review = reverse("admin:kpis_kpibatch_review", args=[batch.pk])
    response = admin.post(review, {"decision": "reject", "reason": ""})
    assert response.status_code == 200 and b"Give the reason the supplier will read." in response.content
    response = admin.post(review, {"decision": "reject", "reason": "x" * 1001})
    assert response.status_code == 200 and KpiBatch.objects.get(pk=batch.pk).status == "pending"
    with pytest.raises(ReviewRefused, match="control character"):
        kpi_batch_reject(batch_id=batch.pk, user=world["reviewer"], reason="bad\x00reason")
    reason = "January's survey window closed; send corrections before the 5th."
    response = admin.post(review, {"decision": "reject", "reason": reason})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.review_reason) == ("rejected", reason)
    assert voice(JAN, world["contract"]) == Decimal("1500")
    assert voice(JAN.next(), world["contract"]) == Decimal("1600")  # February's rows waited with it
    assert not Statement.objects.filter(adjusts=world["january"]).exists()
    page = signed_in(world["supplier"]).get("/kpi-submissions/")
    assert b"Rejected" in page.content and reason.replace("'", "&#x27;").encode() in page.content
    listed = api(world["supplier"]).get("/api/v1/kpi-batches/").json()["results"][0]
    assert (listed["status"], listed["review_reason"], listed["reviewed_by"]) == (
        "rejected",
        reason,
        "acme-procurement",
    )


def test_only_a_reviewer_of_the_buyer_may_review(world):
    batch = held(world)
    clerk = User.objects.create_user("acme-clerk", is_staff=True)
    Membership.objects.create(user=clerk, organisation=world["contract"].buyer, role="procurement")
    with pytest.raises(ReviewRefused, match="may not review"):
        kpi_batch_accept(batch_id=batch.pk, user=clerk)
    other = User.objects.create_user("globex-procurement", is_staff=True)
    other.groups.add(Group.objects.get(name="Procurement"))
    globex = load_contract("GLOBEX-001", supplier="Zeta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Ltd")
    Membership.objects.create(user=other, organisation=globex.buyer, role="procurement")
    with pytest.raises(ReviewRefused, match=f"no KPI batch {batch.pk}"):
        kpi_batch_accept(batch_id=batch.pk, user=other)
    assert KpiBatch.objects.get(pk=batch.pk).status == "pending"


def test_another_supplier_sees_none_of_it(world):
    held(world)
    assert api(world["beta"]).get("/api/v1/kpi-batches/").json()["results"] == []
    page = signed_in(world["beta"]).get("/kpi-submissions/")
    assert (
        page.status_code == 200
        and b"alpha-late.csv" not in page.content
        and b"No KPI files yet." in page.content
    )


def test_the_draft_review_shows_who_submitted_each_input(world):
    response = submit(world["supplier"], month("ACME-A-001", "2026-03", 1700, 80), "alpha-march.csv")
    batch = KpiBatch.objects.get(pk=response.json()["batch"])
    draft = statement_price_draft(contract_id=world["contract"].pk, period=Period(2026, 3))
    page = signed_in(world["reviewer"]).get(reverse("admin:billing_statement_change", args=[draft.pk]))
    assert page.status_code == 200
    assert f">{batch.pk}</a>: supplier Alpha CX Ltd (supplier-alpha)".encode() in page.content


# --- the command line ----------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_line_submits_as_a_user_and_reviews_by_name(
    world, tmp_path, django_capture_on_commit_callbacks
):
    late = tmp_path / "late.csv"
    late.write_text(HEADER + month("ACME-A-001", "2026-01", 1450, 78))
    out = run("ingest_kpis", str(late), "--user", "supplier-alpha")
    batch = KpiBatch.objects.get(status="pending")
    assert f"stored as batch {batch.pk}, held for review" in out
    assert "ACME-A-001 2026-01 contacts_voice: 1500 → 1450" in out
    assert run("review_kpis") == f"batch {batch.pk}: {late} from supplier-alpha, changes ACME-A-001 2026-01\n"
    refusals = [
        ((str(batch.pk), "--accept"), "--user: a review is made by a named procurement user"),
        ((str(batch.pk), "--user", "acme-procurement"), "say --accept or --reject REASON"),
        ((str(batch.pk), "--accept", "--user", "nobody\x00"), "--user: no active user"),
        ((str(batch.pk), "--reject", "a\x00b", "--user", "acme-procurement"), "control character"),
        ((str(batch.pk), "--accept", "--user", "supplier-alpha"), "may not review KPI batches"),
        (("999999", "--accept", "--user", "acme-procurement"), "no KPI batch 999999"),
    ]
    for args, message in refusals:
        with pytest.raises(CommandError, match=re.escape(message)):
            run("review_kpis", *args)
    assert KpiBatch.objects.get(pk=batch.pk).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        out = run("review_kpis", str(batch.pk), "--accept", "--user", "acme-procurement")
    assert (
        out
        == f"batch {batch.pk} accepted by acme-procurement: its figures count; billing runs correct ACME-A-001 2026-01\n"
    )
    assert Statement.objects.get(adjusts=world["january"]).net == Decimal("-95.00")
    with pytest.raises(CommandError, match="--user: your account does not act for an organisation"):
        User.objects.create_user("loner")
        run("ingest_kpis", str(late), "--user", "loner")


def test_the_draft_review_links_only_the_batches_procurement_may_open(world):
    """A file that also holds another buyer's rows is named, not linked: its page would show
    that buyer's references."""
    load_contract("GLOBEX-001", supplier="Zeta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Ltd")
    shared = kpi_batch_ingest(
        file_name="both-buyers.csv",
        content=(
            HEADER + month("ACME-A-001", "2026-04", 1700, 80) + month("GLOBEX-001", "2026-04", 10, 80)
        ).encode(),
        source="cli",
    ).batch
    draft = statement_price_draft(contract_id=world["contract"].pk, period=Period(2026, 4))
    page = signed_in(world["reviewer"]).get(reverse("admin:billing_statement_change", args=[draft.pk]))
    assert f"<td>{shared.pk}: operator</td>".encode() in page.content
    assert reverse("admin:kpis_kpibatch_change", args=[shared.pk]).encode() not in page.content


def test_the_admin_contract_page_validates_kpi_sources_as_a_file_does():
    from django.core.exceptions import ValidationError

    from contracts.schema import validate_kpi_sources

    validate_kpi_sources({"csat": "supplier"})
    for value, message in [
        ({"csat": "everyone"}, "kpi_sources.csat: must be one of buyer, supplier"),
        ({"no_such": "buyer"}, "kpi_sources.no_such: unknown KPI code 'no_such'"),
        (["csat"], "kpi_sources: expected a mapping"),
    ]:
        with pytest.raises(ValidationError) as caught:
            validate_kpi_sources(value)
        assert any(message in text for text in caught.value.messages), caught.value.messages


def test_the_batch_list_refuses_hostile_paging_cleanly(world):
    held(world)
    client = api(world["supplier"])
    for params in ({"page": "\x00"}, {"page": "9" * 400}, {"page": "-1"}, {"page_size": "\x00"}):
        response = client.get("/api/v1/kpi-batches/", params)
        # A value that is not a page or a size is a 400 naming it (core.api_params).
        assert response.status_code == 400, (params, response.status_code)
        assert list(response.json()) == list(params)
        assert response["Content-Type"].startswith("application/json")
    # At most 200 a page: more is refused, not quietly cut.
    assert client.get("/api/v1/kpi-batches/", {"page_size": "100000"}).status_code == 400
    assert client.get("/api/v1/kpi-batches/", {"page_size": "200"}).status_code == 200
