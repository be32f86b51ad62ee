"""Every kind of page works under the Content-Security-Policy in a real browser: the admin,
the portal (with its inline SVG charts) and the API docs (Swagger UI and ReDoc from the
bundled sidecar). A CSP violation, a failed load or a script error is a console error in
Chromium; none is allowed. Screenshots of each page are kept in the test's tmp_path."""

import pytest
from django.contrib.auth.models import User

from tests.functional.browser.test_portal_browser import DESKTOP, browser, log_in, world  # noqa: F401
from tests.functional.portal.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class ConsoleWatch:
    """Collects console errors, uncaught exceptions and CSP violation reports of one page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and self.problems.append(f"{message.text} ({message.location.get('url', '')})")
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"))
        # Reported by the page itself, so violations are caught even without a console line.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e =>"
            " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )


def visit(page, url: str, ready: str, shot, timeout: float = 15_000) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_selector(ready, timeout=timeout)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shot, full_page=True)


def admin_log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


@pytest.fixture
def staff(world):  # noqa: F811
    return User.objects.create_superuser("procurement-admin", "admin@example.com", PASSWORD)


def test_portal_pages_and_charts_work_under_the_policy(live_server, world, browser, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    log_in(page, live_server.url, world["alpha"].username)
    number = world["alpha_jan"].number
    visit(page, f"{live_server.url}/statements/", "table", tmp_path / "portal-list.png")
    visit(page, f"{live_server.url}/statements/{number}/", "svg[role=img]", tmp_path / "portal-detail.png")
    trend = page.get_by_role("img", name="Service level (answered within threshold), 2025-02 to 2026-01")
    box = trend.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 80  # the inline SVG trend chart is drawn
    visit(page, f"{live_server.url}/login/", "body", tmp_path / "portal-login-signed-in.png")
    assert watch.problems == []
    context.close()


def test_the_admin_works_under_the_policy(live_server, world, staff, browser, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    admin_log_in(page, live_server.url, staff.username)
    visit(page, f"{live_server.url}/admin/", "#content-main", tmp_path / "admin-index.png")
    visit(
        page, f"{live_server.url}/admin/billing/statement/", "#result_list", tmp_path / "admin-statements.png"
    )
    # The change list's JavaScript runs: the select-all box ticks every row's box.
    page.click("#action-toggle")
    assert (
        page.locator("input.action-select:checked").count() == page.locator("input.action-select").count() > 0
    )
    page.click("#result_list tbody tr th a")
    page.wait_for_selector("#content-main form")
    page.screenshot(path=tmp_path / "admin-statement.png", full_page=True)
    assert watch.problems == []
    context.close()


def test_the_api_docs_work_under_the_policy_without_the_internet(live_server, world, browser, tmp_path):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    elsewhere: list[str] = []

    def only_this_server(route):
        # No internet in the test: anything not from the live server is refused (and recorded).
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    visit(page, f"{live_server.url}/api/v1/docs/", ".swagger-ui .info .title", tmp_path / "swagger.png")
    assert "Gain-share billing: finance API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 0  # the operations were read from the schema
    assert elsewhere == [] and watch.problems == []
    visit(page, f"{live_server.url}/api/v1/redoc/", "redoc h1", tmp_path / "redoc.png", timeout=30_000)
    assert "Gain-share billing: finance API" in page.inner_text("redoc h1")
    assert page.locator("redoc [data-section-id]").count() > 0  # the operations were read from the schema
    # ReDoc's bundle draws its vendor's logo from cdn.redoc.ly in the menu (unconditionally):
    # the policy refuses it, and that refusal (Chromium's line and the page's report) is all.
    assert elsewhere == []
    assert watch.problems[0].startswith(
        "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"
    )
    assert watch.problems[1:] == ["CSP violation: img-src https://cdn.redoc.ly/redoc/logo-mini.svg ()"]
    context.close()


def test_lockout_and_two_factor_enrolment_pages_work_under_the_policy(
    live_server,
    world,  # noqa: F811
    staff,
    browser,  # noqa: F811
    tmp_path,
    settings,
):
    import base64

    from django_otp.oath import TOTP

    settings.REQUIRE_STAFF_MFA = True
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = ConsoleWatch(page)
    page.goto(f"{live_server.url}/login/?next=/mfa/enrol/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/mfa/enrol/")
    qr = page.get_by_label("QR code for your authenticator app").locator("svg").bounding_box()
    assert qr and qr["width"] > 100 and qr["height"] > 100  # the inline SVG QR code is drawn
    page.screenshot(path=tmp_path / "mfa-enrol.png", full_page=True)
    # As the user's app does: the code from the key the page shows (no ORM call in Playwright's loop).
    secret = page.locator("code").inner_text()
    calculator = TOTP(base64.b32decode(secret), step=30, t0=0, digits=6)
    page.get_by_label("Code from your authenticator app").fill(f"{calculator.token():06d}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.screenshot(path=tmp_path / "mfa-admin.png", full_page=True)
    assert "Site administration" in page.content()

    locked = browser.new_context(viewport=DESKTOP).new_page()
    locked_watch = ConsoleWatch(locked)
    for attempt in range(5):
        locked.goto(f"{live_server.url}/login/")
        locked.get_by_label("Username").fill(world["alpha"].username)
        locked.get_by_label("Password").fill(f"wrong-{attempt}")
        locked.get_by_role("button", name="Log in").click()
        locked.wait_for_load_state()
    assert locked.get_by_role("heading", level=1).inner_text() == "Too many failed log-in attempts"
    locked.screenshot(path=tmp_path / "lockout.png", full_page=True)
    # The lockout answers 429, which Chromium reports as a failed load: that line is expected.
    assert all("429" in problem for problem in locked_watch.problems), locked_watch.problems
    assert watch.problems == []
    context.close()
