"""The statement page's buttons, the issue confirmation and the supplier preview work under the
Content-Security-Policy in a real browser: no violation, no failed load, no script error."""

import pytest

from billing.services import statement_approve
from tests.functional.browser.test_csp_browser import ConsoleWatch, admin_log_in, staff, visit  # noqa: F401
from tests.functional.browser.test_portal_browser import DESKTOP, browser, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def approved(world):  # noqa: F811
    """Alpha's February draft, approved before the browser starts (no ORM in its event loop)."""
    return statement_approve(statement_id=world["alpha_feb_draft"].pk)


def test_statement_actions_and_the_supplier_preview_work_under_the_policy(
    live_server,
    world,  # noqa: F811
    staff,  # noqa: F811
    approved,
    browser,  # noqa: F811
    tmp_path,
):
    draft = approved
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    admin_log_in(page, live_server.url, staff.username)
    admin = f"{live_server.url}/admin/billing/statement/{draft.pk}"
    visit(page, f"{admin}/change/", ".object-tools", tmp_path / "statement-buttons.png")
    page.click("text=Issue…")
    page.wait_for_selector("#consequences")
    page.screenshot(path=tmp_path / "issue-confirmation.png", full_page=True)
    visit(
        page, f"{live_server.url}/preview/statements/{draft.pk}/", "#preview-banner", tmp_path / "preview.png"
    )
    assert "Preview: what Alpha CX Ltd sees." in page.inner_text("#preview-banner")
    assert watch.problems == []
    context.close()
