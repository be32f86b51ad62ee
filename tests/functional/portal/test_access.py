"""Logging in and out, resetting a password, and who may use the portal at all."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from contracts.models import Organisation

from .conftest import PASSWORD, logged_in_through_the_form, portal_user, signed_in

pytestmark = pytest.mark.django_db


def test_the_home_page_redirects_to_the_statement_list(world):
    response = signed_in(world["alpha"]).get("/")
    assert response.status_code == 302 and response["Location"] == "/statements/"


def test_a_supplier_logs_in_through_the_form_and_logs_out(world):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200 and b'<label for="id_username">Username</label>' in page.content
    wrong = client.post("/login/", {"username": "supplier-alpha", "password": "nope"})
    assert wrong.status_code == 200 and b"Please enter a correct username and password" in wrong.content
    response = client.post("/login/", {"username": "supplier-alpha", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/statements/"
    assert client.get("/statements/").status_code == 200
    assert client.get("/logout/").status_code == 405  # logging out takes a POST (CSRF-protected)
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/statements/")["Location"] == "/login/?next=/statements/"


def test_login_returns_to_the_page_asked_for(world):
    client = Client()
    url = f"/statements/{world['alpha_jan'].number}/"
    assert client.get(url)["Location"] == f"/login/?next={url}"
    response = client.post(
        f"/login/?next={url}", {"username": "supplier-alpha", "password": PASSWORD, "next": url}
    )
    assert response["Location"] == url


def test_password_reset_sends_an_email_whose_link_sets_a_new_password(world):
    client = Client()
    assert b"Reset your password" in client.get("/password-reset/").content
    response = client.post("/password-reset/", {"email": "supplier-alpha@example.com"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["supplier-alpha@example.com"]
    assert message.subject == "Reset your supplier portal password"
    link = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", message.body).group(1)

    form = client.get(link, follow=True)  # Django swaps the token in the URL for a session key
    assert form.status_code == 200 and b"Choose a new password" in form.content
    new_password = "a-fresh-portal-passphrase-7"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/complete/"
    assert b"Your password is changed" in client.get(done["Location"]).content
    assert logged_in_through_the_form("supplier-alpha", new_password).get("/statements/").status_code == 200
    assert b"This link no longer works" in client.get(link, follow=True).content  # used once


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(world):
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_anonymous_visitors_are_sent_to_log_in_everywhere(world):
    number = world["alpha_jan"].number
    for url in ["/statements/", f"/statements/{number}/", f"/statements/{number}/pdf/"]:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url


@pytest.mark.parametrize("role", ["finance", "procurement", None])
def test_users_who_are_not_supplier_members_are_denied_the_same_way_for_every_page(world, role):
    """Finance uses the API and procurement the admin; a user without a membership sees
    nothing. The refusal does not depend on the document asked for, so it reveals none."""
    if role is None:
        user = User.objects.create_user("loner", password=PASSWORD)
    else:
        user = portal_user(world["alpha_contract"].buyer, role=role)
    client = signed_in(user)
    number = world["alpha_jan"].number
    for url in [
        "/statements/",
        f"/statements/{number}/",
        f"/statements/{number}/pdf/",
        "/statements/NO-SUCH/",
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"not linked to a supplier organisation" in response.content
        assert number.encode() not in response.content


def test_a_supplier_of_another_contract_with_the_same_buyer_sees_only_its_own(world):
    other = Organisation.objects.create(name="Gamma CX Ltd", code="GAMMA", country="GB")
    response = signed_in(portal_user(other)).get("/statements/")
    assert response.status_code == 200 and b"No statements match" in response.content
