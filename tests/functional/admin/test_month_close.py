"""The month-close page as procurement uses it: one period's contracts in their stages, the
filters and sorts, and the bulk actions with their permission and four-eyes refusals."""

import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import month_close_admin
from billing.models import BillingRun, Statement
from billing.services import statement_approve, statement_price_draft
from contracts.models import Contract
from tests.integration.billing.conftest import load_contract, load_kpis, month
from tests.integration.billing.test_month_close import FEBRUARY, month_close_world, procurement_user

pytestmark = pytest.mark.django_db

URL = reverse("admin:billing_statement_month_close")


@pytest.fixture(autouse=True)
def _four_eyes(settings):
    settings.FOUR_EYES = True


@pytest.fixture
def world():
    return month_close_world()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client, **query):
    response = client.get(URL, {"period": "2026-02", **query})
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> dict[str, str]:
    """Each table row's HTML by the contract reference it starts with, in page order."""
    body = html.split('<table id="month-close-rows">', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r'<tr class="stage-[a-z]+">(.*?)</tr>', body, re.S):
        found[re.search(r"<strong>([A-Z0-9-]+)</strong>", row).group(1)] = row
    return found


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def status(reference: str) -> str:
    return (
        Statement.objects.exclude(status="void").get(contract__reference=reference, period="2026-02").status
    )


def test_procurement_sees_its_contracts_in_their_stages_and_never_another_buyers(world):
    html = page(client_of(world["alice"]))
    found = rows(html)
    assert list(found) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4"]
    assert "GLOBEX" not in html and "Beta CX" not in html
    one, two, three, four = (text(found[r]) for r in found)
    assert "none contacts_voice, service_level upload a KPI file Not priced" in one
    assert "1 file(s) service_level upload a KPI file Draft r1 draft kpi_not_measured" in two
    assert "service_level was not measured in 2026-02" in two
    assert "Approved r1 approved" in three and "£14,000.00" in three
    number = Statement.objects.get(contract__reference="ACME-4").number
    assert "Issued r1 issued" in four and number in four and four.endswith("stored")
    assert "1 pending review" in four and "?status__exact=pending" in found["ACME-4"]
    # Links to each step: the contract, its KPI month, its statement.
    draft = Statement.objects.get(contract__reference="ACME-2")
    assert reverse("admin:billing_statement_change", args=[draft.pk]) in found["ACME-2"]
    assert f"{reverse('admin:kpis_month')}?contract={draft.contract_id}&amp;period=2026-02" in found["ACME-2"]
    assert reverse("admin:contracts_contract_change", args=[draft.contract_id]) in found["ACME-2"]
    # The other buyer's procurement sees its one contract only.
    assert list(rows(page(client_of(world["gloria"])))) == ["GLOBEX-1"]


def test_filters_and_sorts_are_query_parameters(world):
    client = client_of(world["alice"])
    assert list(rows(page(client, state="missing"))) == ["ACME-1", "ACME-2"]
    assert list(rows(page(client, state="pending"))) == ["ACME-4"]
    assert list(rows(page(client, state="flagged"))) == ["ACME-2"]
    assert list(rows(page(client, state="issued"))) == ["ACME-4"]
    assert list(rows(page(client, order="-reference"))) == ["ACME-4", "ACME-3", "ACME-2", "ACME-1"]
    assert list(rows(page(client, order="-state"))) == ["ACME-4", "ACME-3", "ACME-2", "ACME-1"]
    nets = dict(Statement.objects.filter(period="2026-02").values_list("contract__reference", "net"))
    by_net = sorted((ref for ref in nets if ref.startswith("ACME")), key=lambda ref: (nets[ref], ref))
    assert list(rows(page(client, order="net"))) == [*by_net, "ACME-1"]
    # The filter links carry their counts.
    html = page(client)
    assert "Missing KPIs: 2" in text(html) and "Draft with flags: 1" in text(html)


@pytest.mark.parametrize(
    "query, field",
    [
        # Each bad value is an error on its field, with no rows shown.
        ({"period": "2026-13"}, "period"),
        ({"period": "x" * 10_000}, "period"),
        ({"period": "2026-2"}, "period"),
        ({"period": "0000-01"}, "period"),
        ({"state": "zz"}, "state"),
        ({"order": "contract__buyer__name"}, "order"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "9" * 30}, "page"),
    ],
)
def test_a_bad_parameter_is_a_form_error_never_a_500(db, query, field):
    acme = load_contract("ACME-1")
    response = client_of(procurement_user("alice", acme.buyer)).get(URL, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Please correct the errors below" in response.content.decode()
    assert 'id="month-close-rows"' not in response.content.decode()


def test_the_default_period_is_last_month_as_the_monthly_schedule_prices(db):
    acme = load_contract("ACME-1")
    response = client_of(procurement_user("alice", acme.buyer)).get(URL)
    today = timezone.localdate()
    last_month = f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"
    assert response.context["title"] == f"Month close: {last_month}"
    (period_input,) = re.findall(r'<input [^>]*id="id_period"[^>]*>', response.content.decode())
    assert f'value="{last_month}"' in period_input


def test_bulk_run_approve_and_issue_with_four_eyes_refusals_reported_per_contract(world):
    alice, bob = client_of(world["alice"]), client_of(world["bob"])
    load_kpis(month("ACME-1", "2026-02", 1400, 82), name="acme-1.csv")
    # Alice runs the month: ACME-1 and ACME-2 are priced by her run; the rest is left alone.
    response = alice.post(URL, {"period": "2026-02", "action": "run"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{URL}?period=2026-02"
    run = BillingRun.objects.get(requested_by=world["alice"])
    assert (run.period, run.buyer_id, run.status) == ("2026-02", world["acme"][0].buyer_id, "succeeded")
    assert LogEntry.objects.filter(user=world["alice"], action_flag=ADDITION, object_id=str(run.pk)).exists()
    assert [status(f"ACME-{n}") for n in range(1, 5)] == ["draft", "draft", "approved", "issued"]
    assert "Draft r2 draft kpi_not_measured 1 message(s)" in text(rows(response.content.decode())["ACME-2"])
    assert status("GLOBEX-1") == "draft"
    # Alice may not approve what her run priced; the flagged draft is left for review.
    response = alice.post(URL, {"period": "2026-02", "action": "approve"}, follow=True)
    said = messages_of(response)
    assert any(m.startswith("ACME-1 2026-02: not approved: four-eyes: alice started") for m in said), said
    assert any("1 draft(s) with flags were left for review" in m for m in said), said
    assert status("ACME-1") == "draft"
    # Bob approves it.
    response = bob.post(URL, {"period": "2026-02", "action": "approve"}, follow=True)
    assert "1 approved: ACME-1 2026-02." in messages_of(response)
    assert [status(f"ACME-{n}") for n in (1, 2)] == ["approved", "draft"]
    approved = Statement.objects.get(contract__reference="ACME-1")
    entry = LogEntry.objects.get(user=world["bob"], action_flag=CHANGE, object_id=str(approved.pk))
    assert entry.change_message == "Approved (month close)"
    # Issuing asks first, listing what will be issued; nothing is issued by asking.
    response = bob.post(URL, {"period": "2026-02", "action": "issue"})
    html = response.content.decode()
    assert response.status_code == 200 and "Issue 2 document(s) of 2026-02?" in html
    listed = re.findall(r'name="statement" value="(\d+)"', html)
    three = Statement.objects.get(contract__reference="ACME-3")
    assert sorted(map(int, listed)) == sorted([approved.pk, three.pk])
    assert "(you: it will be refused)" in text(html.split("ACME-1", 1)[1].split("</tr>", 1)[0])
    assert [status("ACME-1"), status("ACME-3")] == ["approved", "approved"]
    # Bob confirms: ACME-3 is issued; ACME-1, which he approved, is refused by name.
    confirm = {"period": "2026-02", "action": "issue", "confirm": "on", "statement": listed}
    said = messages_of(bob.post(URL, confirm, follow=True))
    assert any(m.startswith("ACME-1 2026-02: not issued: four-eyes: bob approved") for m in said), said
    three.refresh_from_db()
    assert three.status == "issued" and f"1 issued: {three.number}." in said
    assert LogEntry.objects.filter(
        user=world["bob"], object_id=str(three.pk), change_message="Issued (month close)"
    )
    # Alice issues ACME-1; a confirmed id that is not an approved document of hers is not issued.
    globex = Statement.objects.get(contract__reference="GLOBEX-1")
    confirm["statement"] = [approved.pk, globex.pk]
    said = messages_of(alice.post(URL, confirm, follow=True))
    assert any("1 of the documents you confirmed are no longer approved" in m for m in said), said
    assert status("ACME-1") == "issued" and status("GLOBEX-1") == "draft"


def test_one_confirmation_issues_a_bounded_number_of_documents(world, monkeypatch):
    monkeypatch.setattr(month_close_admin, "MAX_CONFIRMED", 1)
    statement_approve(statement_id=Statement.objects.get(contract__reference="ACME-2").pk)
    client = client_of(world["bob"])
    html = client.post(URL, {"period": "2026-02", "action": "issue"}).content.decode()
    assert len(re.findall(r'name="statement" value="(\d+)"', html)) == 1
    assert "1 more approved document(s) are not listed" in html
    ids = list(Statement.objects.filter(status="approved").values_list("pk", flat=True))
    confirm = {"period": "2026-02", "action": "issue", "confirm": "on", "statement": ids}
    said = messages_of(client.post(URL, confirm, follow=True))
    assert any("at most 1 documents are issued at once" in m for m in said), said
    assert [status("ACME-2"), status("ACME-3")] == ["approved", "approved"]


def test_bulk_actions_need_their_permission_and_a_post_with_csrf(world):
    viewer = world["alice"]
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_statement"))
    viewer = User.objects.get(pk=viewer.pk)
    client = client_of(viewer)
    html = page(client)
    assert (
        "Run billing for 2026-02" not in html
        and "without flags" not in html
        and "approved document" not in html
    )
    before = list(Statement.objects.order_by("pk").values_list("pk", "status"))
    for action, permission in (
        ("run", "add_billingrun"),
        ("approve", "approve_statement"),
        ("issue", "issue_statement"),
    ):
        said = messages_of(
            client.post(URL, {"period": "2026-02", "action": action, "confirm": "on"}, follow=True)
        )
        assert f"Nothing was done: you need the billing.{permission} permission to {action}." in said
    assert not BillingRun.objects.exists()
    assert list(Statement.objects.order_by("pk").values_list("pk", "status")) == before
    # Without the CSRF token a POST is refused before anything is read.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["bob"])
    assert strict.post(URL, {"period": "2026-02", "action": "run"}).status_code == 403
    assert not BillingRun.objects.exists()
    # A bad bulk request is refused with the field named, an id that is not a number too.
    bad = {"period": "2026-02", "action": "issue", "confirm": "on", "statement": ["1", "²", "9" * 19]}
    said = messages_of(client_of(world["bob"]).post(URL, bad, follow=True))
    assert any(m.startswith("Nothing was done: statement:") for m in said), said
    assert list(Statement.objects.order_by("pk").values_list("pk", "status")) == before
    said = messages_of(
        client_of(world["bob"]).post(URL, {"period": "02-2026", "action": "burn"}, follow=True)
    )
    assert any(m.startswith("Nothing was done:") and "action" in m and "period" in m for m in said), said
    # No view permission at all: a 403.
    nobody = User.objects.create_user("nobody", is_staff=True)
    assert client_of(nobody).get(URL).status_code == 403


def test_progress_of_a_running_run_refreshes_the_page_until_it_finishes(world):
    client = client_of(world["alice"])
    buyer_id = world["acme"][0].buyer_id
    run = BillingRun.objects.create(
        period="2026-02", buyer_id=buyer_id, status="running", total=4, done=1, heartbeat_at=timezone.now()
    )
    html = page(client)
    assert '<meta http-equiv="refresh" content="3">' in html
    assert 'value="1"' in html and "1 / 4" in text(html)
    # Another buyer's run is not shown.
    BillingRun.objects.create(period="2026-02", buyer_id=world["globex"].buyer_id, status="running", total=9)
    assert "/ 9" not in text(page(client))
    # Dead (no heartbeat for too long): shown with how to resume it, and no more refreshing.
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timezone.timedelta(hours=1))
    html = page(client)
    assert f"resume with manage.py run_billing --resume {run.pk}" in html and "http-equiv" not in html
    BillingRun.objects.filter(pk=run.pk).update(status="succeeded", done=4)
    html = page(client)
    assert "http-equiv" not in html and "4 / 4" in text(html)


def test_the_admin_index_links_to_the_month_close_page(world):
    assert URL in client_of(world["alice"]).get(reverse("admin:index")).content.decode()
    nobody = User.objects.create_user("nobody", is_staff=True)
    assert URL not in client_of(nobody).get(reverse("admin:index")).content.decode()


def test_the_page_takes_the_same_number_of_queries_for_3_and_30_contracts(db):
    root = User.objects.create_superuser("root", "root@example.test", "pw")
    client = client_of(root)

    def queries(count: int, offset: int) -> int:
        for n in range(count):
            contract = load_contract(f"BULK-{offset + n:03d}")
            if n:
                load_kpis(month(contract.reference, "2026-02", 1500, 85), name=f"{contract.reference}.csv")
                statement_price_draft(contract_id=contract.pk, period=FEBRUARY)
        with CaptureQueriesContext(connection) as captured:
            html = page(client)
        assert len(rows(html)) == Contract.objects.count()
        return len(captured)

    assert queries(3, 0) == queries(27, 3)
