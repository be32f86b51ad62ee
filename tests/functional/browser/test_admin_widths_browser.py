"""Procurement's main admin change lists fit a 1280 px wide browser: no column of the results
table is cut off (Chromium measures the table's container, so the layout is the one a person
sees, filters and navigation sidebar included). Screenshots are kept in the test's tmp_path."""

import pytest

from billing.models import BillingRun
from tests.functional.browser.test_portal_browser import DESKTOP, browser, world  # noqa: F401
from tests.functional.portal.conftest import PASSWORD, portal_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHANGE_LISTS = {
    "statements": "/admin/billing/statement/",
    "contracts": "/admin/contracts/contract/",
    "terms-versions": "/admin/contracts/termsversion/",
    "kpi-batches": "/admin/kpis/kpibatch/",
    "kpi-results": "/admin/kpis/kpiresult/",
    "billing-runs": "/admin/billing/billingrun/",
    "self-billing-agreements": "/admin/contracts/selfbillingagreement/",
}


@pytest.fixture
def procurement(procurement_group, world):  # noqa: F811
    user = portal_user(world["alpha_contract"].buyer, role="procurement", username="widths-procurement")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(procurement_group)
    contract = world["alpha_contract"]
    BillingRun.objects.create(
        period="2026-01",
        contract_reference=contract.reference,
        buyer=contract.buyer,
        status="succeeded",
        total=1,
        done=1,
    )
    return user


def test_the_main_change_lists_fit_1280_pixels(live_server, world, procurement, browser, tmp_path):  # noqa: F811
    assert DESKTOP["width"] == 1280
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", procurement.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    overflowing = {}
    for name, path in CHANGE_LISTS.items():
        assert page.goto(f"{live_server.url}{path}").status == 200, path
        page.wait_for_selector("#changelist")
        assert page.locator("#changelist .results #result_list tbody tr").count() > 0, f"{name}: no rows"
        page.screenshot(path=tmp_path / f"{name}-1280.png", full_page=True)
        widths = page.evaluate(
            "() => { const r = document.querySelector('#changelist .results');"
            " return [r.scrollWidth, r.clientWidth, document.documentElement.scrollWidth, innerWidth]; }"
        )
        results_scroll, results_width, page_scroll, viewport = widths
        if results_scroll > results_width or page_scroll > viewport:
            overflowing[name] = widths
    assert overflowing == {}
    context.close()
