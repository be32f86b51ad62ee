"""The terms page and a line's drill-down in a real browser: reached by their links from the
statement page, readable on a phone without scrolling sideways, and clean under the
Content-Security-Policy."""

import pytest

from tests.functional.browser.test_csp_browser import ConsoleWatch
from tests.functional.browser.test_portal_browser import DESKTOP, PHONE, browser, log_in, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_terms_and_a_lines_page_open_from_the_statement_and_fit_a_phone(
    live_server,
    world,  # noqa: F811
    browser,  # noqa: F811
    tmp_path,
):
    number = world["alpha_jan"].number
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    log_in(page, live_server.url, world["alpha"].username)
    page.goto(f"{live_server.url}/statements/{number}/")
    page.get_by_role("link", name="Terms", exact=True).click()
    page.wait_for_url(f"{live_server.url}/statements/{number}/terms/")
    assert page.get_by_role("heading", level=1).inner_text() == f"The terms behind {number}"
    assert page.get_by_text(
        "Voice contacts handled: GBP 3.00 each up to 1,000; GBP 2.00 each above 1,000"
    ).is_visible()

    page.goto(f"{live_server.url}/statements/{number}/")
    page.locator(f'a[href="/statements/{number}/lines/2/"]').click()
    page.wait_for_url(f"{live_server.url}/statements/{number}/lines/2/")
    assert page.get_by_role("heading", level=2, name="Voice contacts handled contacts_voice").is_visible()

    for path in ("terms/", "lines/2/", "lines/3/"):
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            response = page.goto(f"{live_server.url}/statements/{number}/{path}")
            assert response.status == 200, path
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px ({name})"
            page.screenshot(path=tmp_path / f"{path.replace('/', '-')}{name}.png", full_page=True)
    assert watch.problems == []
    context.close()
