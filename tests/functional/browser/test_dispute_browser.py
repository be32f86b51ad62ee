"""A whole dispute in a real browser: a supplier raises a query on January's gain-share line in
the portal, procurement accepts it in the admin with a corrected KPI file (the month's cost to
serve was lower), the correcting run's adjustment is approved and issued, and the supplier sees
the adjustment linked to its query. Each step is saved at 1280 px in
``out/screenshots/dispute/`` (``SCREENSHOTS`` overrides)."""

import os
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail

from billing.models import Statement, StatementQuery
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract, Membership
from contracts.services import contract_import_content
from kpis.services import kpi_batch_ingest
from pricing.period import Period
from tests.functional.browser.test_csp_browser import ConsoleWatch
from tests.functional.browser.test_portal_browser import CHROMIUM, CHROMIUM_ARGS
from tests.functional.portal.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(os.environ.get("SCREENSHOTS", "out/screenshots")) / "dispute"

CONTRACT = """
reference: ACME-GS-001
title: Shared savings care
buyer: {name: Acme Telecom plc, code: ACME, country: GB, vat_number: GB123456782}
supplier: {name: Northwind CX Ltd, country: GB}
currency: GBP
tax_rate: "20"
start: 2026-01-01
terms:
  - effective_from: 2026-01
    components:
      - {id: mgmt, type: fixed_fee, amount: "10000.00"}
      - {id: savings, type: gain_share, baseline_unit_cost: "4.00", volume_measure: contacts_total,
         actual_measure: cost_to_serve, supplier_percent: "50", cap: "100000.00"}
"""
HEADER = "contract,period,kpi,value\n"
# 10,000 contacts at a £4.00 baseline: £40,000; served for £35,000, a £5,000 saving, half shared.
JANUARY = "ACME-GS-001,2026-01,contacts_total,10000\nACME-GS-001,2026-01,cost_to_serve,35000.00\n"
# The supplier's own records: served for £34,000, a £6,000 saving.
CORRECTED = "ACME-GS-001,2026-01,contacts_total,10000\nACME-GS-001,2026-01,cost_to_serve,34000.00\n"


@pytest.fixture
def dispute(transactional_db, kpi_catalogue, procurement_group):
    """Committed data (the live server answers from another thread): January issued, the
    supplier's user and two procurement users (four-eyes: who resolves, and so starts the
    correcting run, does not approve its draft)."""
    contract_import_content(file_name="gs.yaml", content=CONTRACT.encode())
    contract = Contract.objects.get(reference="ACME-GS-001")
    assert kpi_batch_ingest(file_name="jan.csv", content=(HEADER + JANUARY).encode(), source="cli").ok
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    january = statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    supplier = User.objects.create_user("northwind", email="billing@northwind.example", password=PASSWORD)
    Membership.objects.create(user=supplier, organisation=contract.supplier, role="supplier")
    users = {}
    for name in ("alice", "bob"):
        users[name] = User.objects.create_user(
            f"acme-{name}", email=f"{name}@acme.example", password=PASSWORD, is_staff=True
        )
        users[name].groups.add(procurement_group)
        Membership.objects.create(user=users[name], organisation=contract.buyer, role="procurement")
    gain_share = january.lines.get(component_id="savings")
    mail.outbox.clear()  # January's issue email is the set-up's, not the dispute's
    return {"january": january, "gain_share": gain_share, "supplier": supplier, **users}


def emails_since(start: int) -> list[tuple[str, str]]:
    """(recipient, subject) of each email sent since ``start`` (the test mail backend's outbox),
    each with its plain-text and HTML part."""
    sent = mail.outbox[start:]
    assert all(len(message.to) == 1 and message.alternatives for message in sent)
    return sorted((message.to[0], message.subject) for message in sent)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run bin/system-deps.sh (or set CHROMIUM)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def shoot(page, name: str) -> None:
    page.screenshot(path=SHOTS / f"{name}-1280.png", full_page=True)


def test_a_supplier_disputes_a_gain_share_line_and_sees_the_adjustment_linked(
    live_server, dispute, browser, tmp_path, monkeypatch
):
    # Playwright's sync API runs an event loop in this thread; the test's own reads and the
    # second user's approval between pages are plain synchronous ORM calls (Django's documented
    # switch for such callers).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    january = dispute["january"]

    # The supplier raises a query on the gain-share line.
    supplier = new_page(browser)
    supplier_watch = ConsoleWatch(supplier)
    supplier.goto(f"{base}/login/")
    supplier.get_by_label("Username").fill("northwind")
    supplier.get_by_label("Password").fill(PASSWORD)
    supplier.get_by_role("button", name="Log in").click()
    supplier.wait_for_url(f"{base}/statements/")
    supplier.click(f"a:text('{january.number}')")
    supplier.wait_for_selector("#raise-query")
    supplier.select_option("#query-subject", str(dispute["gain_share"].position))
    supplier.fill(
        "#query-text", "Our cost to serve in January was £34,000.00, not £35,000.00:\nthe saving is £6,000."
    )
    supplier.click("text=Raise the query")
    supplier.wait_for_selector("#queried-notice")
    query = StatementQuery.objects.get(statement=january)
    # Both procurement users are told, once each.
    raised = f"Query raised on invoice {january.number} (Northwind CX Ltd)"
    assert emails_since(0) == [("alice@acme.example", raised), ("bob@acme.example", raised)]
    assert "£34,000.00" in mail.outbox[0].body
    assert query.line_position == dispute["gain_share"].position
    assert "Savings (savings, gain share)" in supplier.inner_text(f"#query-{query.pk}")
    shoot(supplier, "1-supplier-raised-the-query")

    # Procurement finds it in the queue and accepts it with the corrected KPI file.
    alice = new_page(browser)
    alice_watch = ConsoleWatch(alice)
    alice.goto(f"{base}/admin/login/")
    alice.fill("#id_username", "acme-alice")
    alice.fill("#id_password", PASSWORD)
    alice.click("input[type=submit]")
    alice.wait_for_url(f"{base}/admin/")
    alice.click("text=Open queries")
    alice.click(f"a:text('Query {query.pk}')")
    alice.wait_for_selector("#query-thread")
    assert "£34,000.00" in alice.inner_text("#query-thread")
    corrected = tmp_path / "acme-gs-2026-01-corrected.csv"
    corrected.write_text(HEADER + CORRECTED)
    alice.check("input[name=resolution][value=accepted]")
    alice.fill("#query-resolve textarea[name=text]", "Agreed: the corrected cost to serve is £34,000.00.")
    alice.set_input_files("#id_kpi_file", str(corrected))
    alice.click("input[value='Resolve the query']")
    alice.wait_for_selector(".messagelist")
    assert "accepted" in alice.inner_text(".messagelist")
    alice.wait_for_selector("#query-adjustment a")
    shoot(alice, "2-procurement-accepted-the-query")
    # The supplier is told its query was resolved, with procurement's answer.
    assert emails_since(2) == [("billing@northwind.example", f"Query resolved on invoice {january.number}")]
    assert "the corrected cost to serve is £34,000.00" in mail.outbox[2].body

    # The correcting run's adjustment: approved by another user (four-eyes), issued by alice.
    adjustment = Statement.objects.get(adjusts=january)
    assert adjustment.lines.get(component_id="savings").amount == 500
    statement_approve(statement_id=adjustment.pk, user=dispute["bob"])
    alice.click("#query-adjustment a")
    alice.wait_for_selector("#statement-queries")
    statement_url = alice.url
    alice.click("a.statement-action:text('Issue…')")
    alice.wait_for_selector("#consequences")
    alice.click("input[name=confirm]")
    alice.wait_for_url(statement_url)
    assert "Issued as ACME-2026-" in alice.inner_text(".messagelist")
    issued = Statement.objects.get(pk=adjustment.pk)
    assert issued.status == "issued"
    # ... and that the adjustment was issued (procurement gets no issue email).
    [(to, subject)] = emails_since(3)
    assert to == "billing@northwind.example" and subject.startswith(f"Invoice {issued.number} issued: £")

    # The supplier sees the adjustment linked to its query, and opens it.
    supplier.goto(f"{base}/statements/{january.number}/")
    outcome = supplier.inner_text(f"#query-{query.pk} .query-outcome")
    assert f"Accepted: the month is corrected by {issued.number}" in outcome
    assert "Agreed: the corrected cost to serve is £34,000.00." in supplier.inner_text(f"#query-{query.pk}")
    shoot(supplier, "3-supplier-sees-the-adjustment")
    supplier.click(f"#query-{query.pk} .query-outcome a")
    supplier.wait_for_url(f"{base}/statements/{issued.number}/")
    assert f"This document adjusts {january.number}" in supplier.inner_text(".related")
    assert supplier_watch.problems == [] and alice_watch.problems == []
