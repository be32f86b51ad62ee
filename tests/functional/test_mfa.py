"""Staff two-factor sign-in: with REQUIRE_STAFF_MFA on, the admin needs a verified TOTP
device; staff without one enrol themselves; with it off, the admin is as it was."""

import re
import time

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Statement

pytestmark = pytest.mark.django_db

PASSWORD = "staff-passphrase-2026"


@pytest.fixture
def staff():
    return User.objects.create_user(
        "proc-admin", email="proc@example.com", password=PASSWORD, is_staff=True, is_superuser=True
    )


def code_for(device: TOTPDevice, seconds_ago: int = 0) -> str:
    """The device's six-digit code ``seconds_ago``, as the user's authenticator app computes it."""
    calculator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    calculator.time = time.time() - seconds_ago
    return f"{calculator.token():0{device.digits}d}"


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def admin_login(client: Client, username: str, password: str, **otp):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password, **otp})


@pytest.fixture
def mfa_on(settings):
    settings.REQUIRE_STAFF_MFA = True


def test_with_mfa_required_a_password_alone_does_not_open_the_admin(mfa_on, staff):
    device = confirmed_device(staff)
    client = Client()
    response = admin_login(client, staff.username, PASSWORD)
    assert response.status_code == 200 and b"OTP Token" in response.content
    assert client.get("/admin/").status_code == 302  # back to the login page
    wrong = admin_login(client, staff.username, PASSWORD, otp_device=device.persistent_id, otp_token="000000")
    assert wrong.status_code == 200 and client.get("/admin/").status_code == 302


def test_with_mfa_required_a_valid_totp_token_opens_the_admin(mfa_on, staff):
    device = confirmed_device(staff)
    client = Client()
    response = admin_login(
        client, staff.username, PASSWORD, otp_device=device.persistent_id, otp_token=code_for(device)
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200 and b"Site administration" in page.content
    # Every registered ModelAdmin is still there.
    assert admin.site._registry and Statement in admin.site._registry
    assert client.get("/admin/billing/statement/").status_code == 200


def test_a_session_logged_in_with_a_password_only_is_not_let_into_the_admin(mfa_on, staff):
    confirmed_device(staff)
    client = Client()
    client.force_login(staff)  # a password login elsewhere (the portal's form): not verified
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_without_mfa_required_the_admin_works_as_before(settings, staff):
    settings.REQUIRE_STAFF_MFA = False
    client = Client()
    response = admin_login(client, staff.username, PASSWORD)
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


def test_a_staff_user_without_a_device_enrols_and_then_opens_the_admin(mfa_on, staff):
    client = Client()
    login = admin_login(client, staff.username, PASSWORD)
    assert b"/mfa/enrol/" in login.content  # the admin login page says where to enrol
    assert client.get("/mfa/enrol/")["Location"] == "/login/?next=/mfa/enrol/"
    response = client.post(
        "/login/?next=/mfa/enrol/", {"username": staff.username, "password": PASSWORD, "next": "/mfa/enrol/"}
    )
    assert response["Location"] == "/mfa/enrol/"

    page = client.get("/mfa/enrol/")
    assert page.status_code == 200 and b"<svg" in page.content
    secret = re.search(rb"<code>([A-Z2-7]+)</code>", page.content).group(1).decode()
    device = TOTPDevice.objects.get(user=staff)
    assert (
        not device.confirmed and client.get("/mfa/enrol/").content.count(secret.encode()) == 1
    )  # same device on reload
    assert device.config_url.startswith("otpauth://totp/") and f"secret={secret}" in device.config_url

    wrong = client.post("/mfa/enrol/", {"token": "12345x"})
    assert wrong.status_code == 200 and b"Enter the six digits" in wrong.content
    assert client.get("/admin/").status_code == 302
    confirmed = client.post("/mfa/enrol/", {"token": code_for(device)})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/admin/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/admin/").status_code == 200  # this session is verified

    # Enrolled: the page shows no secret again, and the next admin login needs a code.
    again = client.get("/mfa/enrol/")
    assert b"already has an authenticator app" in again.content and secret.encode() not in again.content
    later = Client()
    assert admin_login(later, staff.username, PASSWORD).status_code == 200
    assert later.get("/admin/").status_code == 302


def test_a_wrong_code_does_not_confirm_the_device(mfa_on, staff):
    client = Client()
    client.force_login(staff)
    client.get("/mfa/enrol/")
    device = TOTPDevice.objects.get(user=staff)
    response = client.post("/mfa/enrol/", {"token": code_for(device, seconds_ago=600)})
    assert response.status_code == 200 and b"does not match" in response.content
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


def test_users_who_are_not_staff_cannot_enrol(mfa_on):
    user = User.objects.create_user("supplier-x", password=PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get("/mfa/enrol/")
    assert response.status_code == 403 and not TOTPDevice.objects.filter(user=user).exists()
