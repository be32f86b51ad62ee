"""Safe defaults: stored PDFs have no public URL, every page carries a strict
Content-Security-Policy, the API docs load nothing from elsewhere, logins lock out after
repeated failures, password resets are throttled, and throttle counters can be shared."""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import clear_url_caches
from rest_framework.throttling import AnonRateThrottle

import config.urls
from billing.models import Statement
from billing.pdf import statement_pdf_store
from config.settings import cache_settings
from portal import views as portal_views
from tests.functional.portal.conftest import PASSWORD, build_world, portal_user, signed_in

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Throttle counters live in the (per-process) cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def reloaded_urls():
    """Re-import the URL configuration under the test's settings (as a process start would),
    and put the ordinary one back afterwards."""

    def reload():
        importlib.reload(config.urls)
        clear_url_caches()

    yield reload
    reload()


# Stored PDFs: no public URL, whatever DEBUG says.


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_stored_pdf_is_not_served_from_the_media_url(world, settings, reloaded_urls, debug):
    statement_pdf_store(statement_id=world["alpha_jan"].pk)
    stored = Statement.objects.get(pk=world["alpha_jan"].pk).pdf
    assert (Path(settings.MEDIA_ROOT) / stored.name).is_file()
    settings.DEBUG = debug
    reloaded_urls()
    for client in (Client(), signed_in(world["alpha"])):
        response = client.get(f"/{settings.MEDIA_URL}{stored.name}")
        assert response.status_code == 404, (debug, stored.name)
        assert not response.content.startswith(b"%PDF")
    # The checked route still serves it to its supplier.
    response = signed_in(world["alpha"]).get(f"/statements/{world['alpha_jan'].number}/pdf/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_debug_is_off_unless_set_to_a_true_value(tmp_path):
    def debug_with(value: str | None) -> str:
        env = {**os.environ, "SECRET_KEY": "k" * 50, "DJANGO_SETTINGS_MODULE": "config.settings"}
        env.pop("DEBUG", None)
        if value is not None:
            env["DEBUG"] = value
        code = "from django.conf import settings; print(settings.DEBUG)"
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert [debug_with(value) for value in (None, "", "0", "false", "1", "yes")] == [
        "False",
        "False",
        "False",
        "False",
        "True",
        "True",
    ]


# Content-Security-Policy.


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_page_has_a_strict_content_security_policy(world):
    pages = [
        (Client(), "/login/"),
        (signed_in(world["alpha"]), "/statements/"),
        (signed_in(world["alpha"]), f"/statements/{world['alpha_jan'].number}/"),
        (Client(), "/admin/login/"),
        (Client(), "/api/v1/docs/"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = csp_directives(response)
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url  # no inline script, no other origin
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"], url
    assert csp_directives(Client().get("/login/"))["style-src"] == ["'self'"]


# The API docs: Swagger UI and ReDoc from the installed sidecar, nothing from another origin.

EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I
)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/docs/?script=", "/api/v1/redoc/"])
def test_the_api_docs_pages_reference_no_external_url(url, settings):
    response = Client().get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert not EXTERNAL.search(body), EXTERNAL.search(body)
    assert "cdn.jsdelivr" not in body and "googleapis" not in body and "@latest" not in body
    if "script=" in url:
        assert '"validatorUrl": null' in body  # no badge fetched from validator.swagger.io
    for asset in re.findall(r"""(?:src|href)="([^"]+)""", body):
        assert asset.startswith("/"), asset
        if asset.startswith(settings.STATIC_URL):
            assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset  # one of our static files


# Login lockout (django-axes).


def post_login(client: Client, url: str, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_five_wrong_passwords_lock_the_username_on_that_address_with_the_lockout_page(
    world, settings, login_url
):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = world["alpha"]
    if login_url.startswith("/admin/"):
        user.is_staff = True
        user.save()
    client = Client()
    for attempt in range(4):
        response = post_login(client, login_url, user.username, f"wrong-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = post_login(client, login_url, user.username, "wrong-5")
    assert locked.status_code == 429
    assert (
        b"Too many failed log-in attempts" in locked.content and b"Try again in 15 minutes" in locked.content
    )
    assert "registration/lockout.html" in [t.name for t in locked.templates]

    fresh = Client()
    right = post_login(fresh, login_url, user.username, PASSWORD)  # the right password, too late
    assert right.status_code == 429 and "_auth_user_id" not in fresh.session
    # Another address is not locked out, and the same address may still log in as another user.
    assert post_login(Client(), login_url, user.username, PASSWORD, ip="198.51.100.9").status_code == 302
    other = world["beta"]
    other.is_staff = True
    other.save()
    assert post_login(Client(), login_url, other.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(world, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    for attempt in range(5):
        post_login(Client(), "/login/", "supplier-alpha", f"wrong-{attempt}")
    assert post_login(Client(), "/login/", "supplier-alpha", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert post_login(Client(), "/login/", "supplier-alpha", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(settings):
    from django.test import RequestFactory

    from config import settings as base

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    original = base.TRUSTED_PROXY_COUNT
    try:
        base.TRUSTED_PROXY_COUNT = 0
        assert base.client_ip(request) == "10.0.0.2"  # the header is the client's to forge
        base.TRUSTED_PROXY_COUNT = 1
        assert base.client_ip(request) == "203.0.113.7"  # the one our proxy appended
        base.TRUSTED_PROXY_COUNT = 3
        assert base.client_ip(request) == "10.0.0.2"  # fewer hops than proxies: not trusted
        base.TRUSTED_PROXY_COUNT = 1
        forged = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
        assert base.client_ip(forged) == "10.0.0.2"  # only an address goes in the attempt log
    finally:
        base.TRUSTED_PROXY_COUNT = original


# Password reset throttling.


def reset(client: Client, email: str, ip: str = "203.0.113.7"):
    return client.post("/password-reset/", {"email": email}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_password_resets_for_one_address_send_three_mails_an_hour_and_answer_the_same(world, settings):
    assert settings.PASSWORD_RESET_LIMIT_PER_ADDRESS == 3
    responses = [reset(Client(), "Supplier-Alpha@example.com", ip=f"198.51.100.{n}") for n in range(20)]
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, "/password-reset/sent/")}
    assert len(mail.outbox) == 3
    assert all(message.to == ["supplier-alpha@example.com"] for message in mail.outbox)
    # Another address is not affected.
    reset(Client(), "supplier-beta@example.com")
    assert len(mail.outbox) == 4 and mail.outbox[-1].to == ["supplier-beta@example.com"]


@pytest.mark.django_db
def test_password_resets_from_one_client_send_ten_mails_an_hour(world, settings):
    assert settings.PASSWORD_RESET_LIMIT_PER_IP == 10
    organisation = world["alpha_contract"].supplier
    emails = [portal_user(organisation, username=f"ops-{n}").email for n in range(12)]
    responses = [reset(Client(), email) for email in emails]
    assert {r["Location"] for r in responses} == {"/password-reset/sent/"}
    assert [m.to[0] for m in mail.outbox] == emails[:10]
    reset(Client(), emails[11], ip="198.51.100.1")  # the same address from elsewhere is sent
    assert mail.outbox[-1].to == [emails[11]]


@pytest.mark.django_db
def test_the_reset_window_ends(world, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    reset(Client(), "supplier-alpha@example.com")
    reset(Client(), "supplier-alpha@example.com")
    assert len(mail.outbox) == 1
    cache.clear()  # what the window's expiry does
    reset(Client(), "supplier-alpha@example.com")
    assert len(mail.outbox) == 2


# Shared counters: a Redis cache when REDIS_URL (or CACHE_URL) is set.


def test_the_default_cache_is_redis_when_a_redis_url_is_set(tmp_path):
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings", "CACHE_URL": ""}
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    backends = []
    for redis_url in ("", "redis://127.0.0.1:6379/14"):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={**env, "REDIS_URL": redis_url},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        backends.append(result.stdout.strip().splitlines()[-1])
    assert backends == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.redis.RedisCache",
    ]


@pytest.fixture
def two_processes_caches():
    """Two Redis cache clients with their own connections, as two worker processes have."""
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    url = re.sub(r"/\d*$", "", REDIS_URL.rstrip("/")) + "/14"  # db 14: the tests' own
    config = cache_settings(url)["default"]
    caches = [RedisCache(config["LOCATION"], {"KEY_PREFIX": config["KEY_PREFIX"]}) for _ in range(2)]
    caches[0].clear()
    yield caches
    caches[0].clear()


def test_two_processes_share_the_api_throttle_count_on_redis(two_processes_caches, rf):
    first, second = two_processes_caches
    allowed = []
    for n in range(6):
        throttle = AnonRateThrottle()
        throttle.rate, throttle.num_requests, throttle.duration = "4/min", 4, 60
        throttle.cache = first if n % 2 else second
        request = rf.get("/api/v1/invoices/", REMOTE_ADDR="203.0.113.7")
        request.user = AnonymousUser()
        allowed.append(throttle.allow_request(request, view=None))
    assert allowed == [True, True, True, True, False, False]


def test_two_processes_share_the_password_reset_count_on_redis(two_processes_caches, monkeypatch):
    first, second = two_processes_caches
    allowed = []
    for n in range(5):
        monkeypatch.setattr(portal_views, "cache", first if n % 2 else second)
        allowed.append(portal_views.password_reset_allowed(email="a@example.com", client_ip="203.0.113.7"))
    assert allowed == [True, True, True, False, False]


def test_no_user_row_is_needed_for_a_throttled_reset_to_look_the_same(db):
    """An address without an account is counted and answered exactly like one with it."""
    User.objects.create_user("known", email="known@example.com", password=PASSWORD)
    answers = {
        email: [reset(Client(), email).headers["Location"] for _ in range(5)]
        for email in ("known@example.com", "unknown@example.com")
    }
    assert answers["known@example.com"] == answers["unknown@example.com"] == ["/password-reset/sent/"] * 5
    assert len(mail.outbox) == 3
