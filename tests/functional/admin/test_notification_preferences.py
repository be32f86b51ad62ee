"""A staff user's own email choices in the admin: reachable from the index, showing and
changing only that user's preferences, for the kinds its role receives."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from contracts.models import Membership
from notifications.models import NotificationPreference
from tests.integration.billing.conftest import load_contract

pytestmark = pytest.mark.django_db

URL = "/admin/notifications/notificationpreference/mine/"


def procurement(username: str, organisation) -> User:
    user = User.objects.create_user(username, email=f"{username}@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=organisation, role="procurement")
    return user


@pytest.fixture
def buyers():
    acme = load_contract("ACME-P-001", supplier="Alpha CX Ltd").buyer
    globex = load_contract(
        "GLOBEX-P-001", supplier="Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd"
    ).buyer
    return {"acme": procurement("acme-proc", acme), "globex": procurement("globex-proc", globex)}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_route_is_the_one_the_emails_link_to():
    assert reverse("admin:notifications_notificationpreference_mine") == URL


def test_the_index_links_to_it_and_it_shows_the_procurement_kind(buyers):
    client = client_for(buyers["acme"])
    assert f'href="{URL}"'.encode() in client.get("/admin/").content
    response = client.get(URL)
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["query_raised"]
    assert b'name="query_raised"' in response.content and b"checked" in response.content


def test_saving_changes_only_the_signed_in_users_choice(buyers):
    acme, globex = buyers["acme"], buyers["globex"]
    NotificationPreference.objects.create(user=globex, kind="query_raised", enabled=True)
    response = client_for(acme).post(
        URL, {"user": globex.pk, "statement_issued": "", "query_answered": "on"}, follow=True
    )
    assert response.redirect_chain == [(URL, 302)]
    assert "Your email notification choices are saved." in [str(m) for m in response.context["messages"]]
    assert dict(NotificationPreference.objects.filter(user=acme).values_list("kind", "enabled")) == {
        "query_raised": False
    }
    assert NotificationPreference.objects.get(user=globex).enabled is True
    client_for(acme).post(URL, {"query_raised": "on"})
    assert NotificationPreference.objects.get(user=acme, kind="query_raised").enabled is True


def test_a_user_without_a_procurement_membership_has_nothing_to_choose(db):
    root = User.objects.create_superuser("root", "root@example.com", "x")
    response = client_for(root).post(URL, {"query_raised": "on"})
    assert response.status_code == 200 and b"receives no email notifications" in response.content
    assert not NotificationPreference.objects.exists()


def test_non_staff_users_are_sent_to_the_admin_login(db):
    user = User.objects.create_user("supplier-user")
    response = client_for(user).post(URL, {"query_raised": "on"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not NotificationPreference.objects.exists()


def test_the_standard_views_of_the_rows_are_closed_to_procurement(buyers):
    client = client_for(buyers["acme"])
    for name in (
        "notifications_notificationpreference_changelist",
        "notifications_notificationdelivery_changelist",
        "notifications_notificationpreference_add",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 403, name
