"""Accounts: set_user (and its alias set_supplier_user), create_api_token, and the conversion of
DRF's clear-text tokens into knox digests."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from knox.models import AuthToken
from rest_framework.authtoken.models import Token

from contracts.models import Membership, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return Organisation.objects.create(name="Acme Telecom plc", code="ACME", country="GB")


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("role", "staff", "groups"),
    [
        ("procurement", True, ["Procurement"]),  # works in the admin
        ("finance", False, []),  # the API only
        ("supplier", False, []),  # the portal only
    ],
)
def test_set_user_gives_each_role_its_membership_and_staff_flag(acme, role, staff, groups):
    out = command(
        "set_user", "--organisation", "ACME", "--role", role, "--username", "u1", "--email", "u@x.test"
    )
    user = User.objects.get(username="u1")
    assert out.strip() == f"u1: {role} user of ACME"
    assert (user.membership.organisation, user.membership.role) == (acme, role)
    assert user.is_staff is staff and list(user.groups.values_list("name", flat=True)) == groups
    assert user.email == "u@x.test" and not user.has_usable_password()
    # Idempotent: the same call again changes nothing and raises nothing.
    command("set_user", "--organisation", "ACME", "--role", role, "--username", "u1")
    assert Membership.objects.filter(user=user).count() == 1


def test_set_user_refuses_another_role_an_unknown_organisation_or_role(acme):
    command("set_user", "--organisation", "ACME", "--role", "finance", "--username", "u1", "--password", "pw")
    with pytest.raises(CommandError, match="already acts for Acme Telecom plc as finance"):
        command("set_user", "--organisation", "ACME", "--role", "procurement", "--username", "u1")
    with pytest.raises(CommandError, match="no organisation with code 'NOPE'"):
        command("set_user", "--organisation", "NOPE", "--role", "finance", "--username", "u2")
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        command("set_user", "--organisation", "ACME", "--role", "admin", "--username", "u2")
    assert not User.objects.filter(username="u2").exists()
    assert User.objects.get(username="u1").check_password("pw")


def test_set_supplier_user_is_set_user_with_the_supplier_role(acme):
    out = command("set_supplier_user", "--organisation", "ACME", "--username", "s1", "--password", "pw")
    user = User.objects.get(username="s1")
    assert out.strip() == "s1: supplier user of ACME"
    assert user.membership.role == "supplier" and not user.is_staff and user.check_password("pw")


def test_create_api_token_prints_a_working_token_once_and_stores_only_its_digest(acme):
    command("set_user", "--organisation", "ACME", "--role", "finance", "--username", "fin")
    key = command("create_api_token", "--username", "fin").strip()
    assert "\n" not in key and len(key) == 64
    token = AuthToken.objects.get(user__username="fin")
    assert key not in {token.digest, token.token_key} and token.expiry is None
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/invoices/")
    assert response.status_code == 200 and response.json()["count"] == 0
    # --replace revokes the first token.
    second = command("create_api_token", "--username", "fin", "--replace").strip()
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/invoices/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Token {second}").get("/api/v1/invoices/").status_code == 200
    with pytest.raises(CommandError, match="no user 'ghost'"):
        command("create_api_token", "--username", "ghost")


def test_the_migration_turns_drf_keys_into_knox_digests_that_keep_working(acme):
    import importlib

    migration = importlib.import_module("portal.migrations.0002_hashed_api_tokens")
    user = User.objects.create_user("old-client")
    Membership.objects.create(user=user, organisation=acme, role="finance")
    key = Token.objects.create(user=user).key
    migration.convert_tokens(apps, None)
    assert not Token.objects.exists()  # no clear-text key is left
    assert AuthToken.objects.filter(user=user).count() == 1
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/invoices/")
    assert response.status_code == 200
