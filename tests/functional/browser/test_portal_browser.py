"""The supplier portal in a real browser: Debian's headless Chromium driven by Playwright.

Chromium is not downloaded by Playwright: the system one (``bin/system-deps.sh``) is used,
and a missing binary fails the test rather than skipping it.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from billing.models import Statement
from tests.functional.portal.conftest import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def browser(world):
    """A headless Chromium, started once the data exists: database work in the test process
    stays outside Playwright's event loop (no async-unsafe ORM calls, no stray connection)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run bin/system-deps.sh (or set CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def world(transactional_db, kpi_catalogue):
    """Committed data: the live server answers from another thread."""
    world = build_world()
    statement = Statement.objects.get(pk=world["alpha_jan"].pk)
    with statement.pdf.open("rb") as stored:  # rendered when it was issued (after the commit)
        world["alpha_jan_pdf"] = stored.read()
    return world


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/statements/")


def test_a_supplier_reads_a_statement_and_downloads_its_pdf_and_another_gets_404(
    live_server, world, browser, tmp_path
):
    number = world["alpha_jan"].number
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server.url, world["alpha"].username)
    page.screenshot(path=tmp_path / "list-desktop.png", full_page=True)

    page.get_by_role("link", name=number).click()
    page.wait_for_url(f"{live_server.url}/statements/{number}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Self-billed invoice {number}"
    assert page.get_by_text(
        "Service level (answered within threshold) 78 missed target 80; 5% of charges 14,000.00 → -700.00"
    ).is_visible()
    assert (
        page.get_by_role("img", name="Service level (answered within threshold), 2025-02 to 2026-01").count()
        == 1
    )
    page.screenshot(path=tmp_path / "statement-desktop.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download PDF of {number}").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    downloaded = Path(download.path()).read_bytes()
    assert downloaded.startswith(b"%PDF") and downloaded == world["alpha_jan_pdf"]

    page.set_viewport_size(PHONE)
    page.reload()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    page.screenshot(path=tmp_path / "statement-phone.png", full_page=True)
    context.close()

    other = browser.new_context(viewport=DESKTOP)
    beta_page = other.new_page()
    log_in(beta_page, live_server.url, world["beta"].username)
    assert beta_page.get_by_role("link", name=number).count() == 0
    for path in [f"/statements/{number}/", f"/statements/{number}/pdf/"]:
        response = beta_page.request.get(f"{live_server.url}{path}")
        assert response.status == 404, path
    response = beta_page.goto(f"{live_server.url}/statements/{number}/")
    assert response.status == 404
    other.close()


@pytest.mark.parametrize(
    "viewport, shown, hidden",
    [(DESKTOP, "scorecard", "scorecard-narrow"), (PHONE, "scorecard-narrow", "scorecard")],
)
def test_the_scorecard_chart_is_drawn_readably_on_a_phone_and_a_desktop(
    live_server, world, browser, viewport, shown, hidden
):
    """One scorecard chart is shown at each width (side by side, or stacked on a phone) at a
    size whose text is readable, and the page never scrolls sideways."""
    page = browser.new_page(viewport=viewport)
    log_in(page, live_server.url, world["alpha"].username)
    page.goto(f"{live_server.url}/statements/{world['alpha_jan'].number}/")
    chart = page.locator(f'svg[aria-labelledby="{shown}-title {shown}-desc"]')
    assert (
        chart.is_visible()
        and not page.locator(f'svg[aria-labelledby="{hidden}-title {hidden}-desc"]').is_visible()
    )
    box = chart.bounding_box()
    assert box and box["width"] > 300
    label = chart.locator("text", has_text="Service level (answered within threshold)").first
    assert label.is_visible()
    font_px = label.evaluate("node => node.getBoundingClientRect().height")
    assert font_px >= 9  # about 9 CSS pixels or more once the SVG is scaled
    assert chart.locator("text", has_text="Actual, met").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.close()
