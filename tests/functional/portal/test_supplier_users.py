"""Supplier portal users are set up with one idempotent command."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from contracts.models import Membership

from .conftest import logged_in_through_the_form, portal_user

pytestmark = pytest.mark.django_db


def test_the_command_creates_a_supplier_user_who_can_log_in_and_running_it_again_changes_nothing(world):
    code = world["alpha_contract"].supplier.code
    for _ in range(2):
        call_command("set_supplier_user", organisation=code, username="alpha-ops", password="pw-alpha-ops-1")
    membership = Membership.objects.get(user__username="alpha-ops")
    assert (membership.organisation.code, membership.role) == (code, "supplier")
    client = logged_in_through_the_form("alpha-ops", "pw-alpha-ops-1")
    assert world["alpha_jan"].number in client.get("/statements/").content.decode()


def test_without_a_password_a_new_user_must_use_the_password_reset(world):
    call_command(
        "set_supplier_user",
        organisation=world["beta_contract"].supplier.code,
        username="beta-ops",
        email="b@example.com",
    )
    user = User.objects.get(username="beta-ops")
    assert not user.has_usable_password() and user.email == "b@example.com"


def test_unknown_organisations_and_users_of_another_organisation_are_refused(world):
    with pytest.raises(CommandError, match="no organisation with code 'NOPE'"):
        call_command("set_supplier_user", organisation="NOPE", username="x")
    portal_user(world["alpha_contract"].buyer, role="finance", username="acme-finance")
    with pytest.raises(CommandError, match="acme-finance already acts for Acme Telecom plc as finance"):
        call_command(
            "set_supplier_user", organisation=world["alpha_contract"].supplier.code, username="acme-finance"
        )
    assert Membership.objects.get(user__username="acme-finance").role == "finance"
