"""A month close walked in a real browser, as a procurement user does it: upload the month's
KPI file (its dry run warns that the total is not the sum of its channels), upload it for real,
run billing from the month-close page, review the draft, preview its PDF and the supplier's view,
approve it and issue it after the confirmation. Each page is saved at 1280 and 1920 px in
``out/screenshots/month-close/`` (``SCREENSHOTS`` overrides) to be looked at."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from contracts.models import Contract, Membership
from contracts.services import contract_import_content
from tests.functional.browser.test_csp_browser import ConsoleWatch
from tests.functional.browser.test_portal_browser import CHROMIUM, CHROMIUM_ARGS
from tests.functional.conftest import contract_text
from tests.functional.portal.conftest import PASSWORD
from tests.integration.billing.conftest import HEADER

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(os.environ.get("SCREENSHOTS", "out/screenshots")) / "month-close"
WIDTHS = (1280, 1920)
# Voice and chat add up to 30,862; the total says 31,673.
MARCH = (
    "ACME-T-001,2026-03,,contacts_voice,24000,,,voice,\n"
    "ACME-T-001,2026-03,,contacts_chat,6862,,,chat,\n"
    "ACME-T-001,2026-03,,contacts_total,31673,,,,\n"
    "ACME-T-001,2026-03,,service_level,,80,100,voice,\n"
)
WARNING = "contacts_total 31,673 is not contacts_voice + contacts_chat 30,862 (2.6 % apart; tolerance 1 %)"


@pytest.fixture
def procurement(transactional_db, kpi_catalogue, procurement_group):
    """Committed data: the live server answers from another thread."""
    contract_import_content(file_name="acme.yaml", content=contract_text().encode())
    contract = Contract.objects.get(reference="ACME-T-001")
    user = User.objects.create_user("acme-procurement", password=PASSWORD, is_staff=True)
    user.groups.add(procurement_group)
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    return user


@pytest.fixture
def page(procurement):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run bin/system-deps.sh (or set CHROMIUM)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        yield context.new_page()
        browser.close()


def shoot(page, name: str) -> None:
    """The page as it is, at each width (the whole page, not only the window)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def test_a_procurement_user_closes_a_month_in_the_browser(live_server, procurement, page, tmp_path):
    watch = ConsoleWatch(page)
    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", procurement.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    page.click("text=Close last month")
    page.wait_for_selector("#month-close-query")

    # The KPI file: a dry run first, which warns, then the file itself.
    march = tmp_path / "acme-2026-03.csv"
    march.write_text(HEADER + MARCH)
    page.goto(f"{base}/admin/kpis/kpibatch/upload/")
    page.set_input_files("#id_file", str(march))
    assert page.is_checked("#id_dry_run")
    page.click("input[type=submit][value=Upload]")
    page.wait_for_selector("#kpi-check-warnings")
    assert WARNING in page.inner_text("#kpi-check-warnings")
    shoot(page, "1-dry-run-warning")
    page.set_input_files("#id_file", str(march))
    page.uncheck("#id_dry_run")
    page.click("input[type=submit][value=Upload]")
    page.wait_for_url("**/admin/kpis/kpibatch/*/change/")
    assert "ingested as batch" in page.inner_text(".messagelist")

    # The month-close page: run billing for March, and the draft appears with its flag.
    page.goto(f"{base}/admin/billing/statement/month-close/?period=2026-03")
    shoot(page, "2-month-close-before-the-run")
    page.click("input[type=submit][value='Run billing for 2026-03']")
    page.wait_for_load_state()
    page.goto(f"{base}/admin/billing/statement/month-close/?period=2026-03")
    assert "kpi_check_failed" in page.content()
    shoot(page, "3-month-close-drafted")

    # The draft's own page: its review, the DRAFT PDF and what the supplier will see.
    page.click("a:text('r1 draft')")
    page.wait_for_selector("#kpi-inputs")
    assert WARNING in page.inner_text("#flags")
    shoot(page, "4-draft-review")
    statement_url = page.url
    preview = page.request.get(base + page.get_attribute("a:text('Preview PDF (DRAFT)')", "href"))
    assert preview.headers["content-type"] == "application/pdf" and preview.body()[:5] == b"%PDF-"
    page.click("text=See as the supplier")
    page.wait_for_selector("#preview-banner")
    assert "Preview: what Northwind CX Ltd sees." in page.inner_text("#preview-banner")
    shoot(page, "5-supplier-preview")

    # Approve, then issue after the confirmation that says what will happen.
    page.goto(statement_url)
    page.click("a.statement-action:text('Approve…')")
    page.click("input[name=confirm]")
    page.wait_for_url(statement_url)
    assert "Approved" in page.inner_text(".messagelist")
    page.click("a.statement-action:text('Issue…')")
    page.wait_for_selector("#consequences")
    assert "Northwind CX Ltd" in page.inner_text("#consequences")
    shoot(page, "6-issue-confirmation")
    page.click("input[name=confirm]")
    page.wait_for_url(statement_url)
    message = page.inner_text(".messagelist")
    assert "Issued as ACME-2026-" in message
    shoot(page, "7-issued")
    assert watch.problems == []
