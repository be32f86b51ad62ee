"""The supplier user's email notification choices at /notifications/: its own only, the kinds
it receives only, saved with CSRF and a message; and the emails then follow them."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from notifications.models import NotificationPreference

from .conftest import issue, portal_user, signed_in

pytestmark = pytest.mark.django_db

URL = "/notifications/"


def choices(user) -> dict[str, bool]:
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "enabled"))


def test_the_page_shows_the_suppliers_two_kinds_on_by_default_and_is_in_the_navigation(world):
    client = signed_in(world["alpha"])
    response = client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == ["statement_issued", "query_answered"]
    assert all(field.initial is True for field in form.fields.values())
    assert b'name="statement_issued" id="id_statement_issued" checked' in response.content
    assert b'aria-current="page">Email notifications' in response.content
    assert b'href="/notifications/"' in client.get("/statements/").content


def test_saving_turns_off_what_is_unticked_for_this_user_only(world):
    alpha, beta = world["alpha"], world["beta"]
    client = signed_in(alpha)
    response = client.post(URL, {"statement_issued": "on"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert b"Your email notification choices are saved." in response.content
    assert choices(alpha) == {"statement_issued": True, "query_answered": False}
    assert response.context["form"]["query_answered"].initial is False
    # Nothing ticked: both off.
    client.post(URL, {})
    assert choices(alpha) == {"statement_issued": False, "query_answered": False}
    assert choices(beta) == {}


def test_posted_names_that_are_not_its_own_kinds_change_nothing_else(world):
    alpha, beta = world["alpha"], world["beta"]
    NotificationPreference.objects.create(user=beta, kind="statement_issued", enabled=True)
    hostile = {
        "query_raised": "off",  # a procurement kind
        "user": str(beta.pk),
        "kind": "statement_issued",
        "enabled": "",
        "statement_issued": "x" * 100_000,  # any value of a checkbox is "ticked"
    }
    response = signed_in(alpha).post(URL, hostile)
    assert response.status_code == 302
    assert choices(alpha) == {"statement_issued": True, "query_answered": False}
    assert choices(beta) == {"statement_issued": True}


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["alpha"])
    assert client.post(URL, {}).status_code == 403
    assert choices(world["alpha"]) == {}


def test_only_signed_in_supplier_users_have_the_page(world):
    assert Client().get(URL)["Location"].startswith("/login/")
    procurement = portal_user(world["alpha_contract"].buyer, role="procurement")
    response = signed_in(procurement).post(URL, {"query_raised": "on"})
    assert response.status_code == 403
    assert choices(procurement) == {}
    staff = User.objects.create_user("no-membership", is_staff=True)
    assert signed_in(staff).get(URL).status_code == 403
    for method in ("put", "delete"):
        assert getattr(signed_in(world["alpha"]), method)(URL).status_code == 405


def test_the_emails_follow_the_choice_made_here(world, django_capture_on_commit_callbacks, monkeypatch):
    from billing import pdf

    monkeypatch.setattr(pdf, "statement_pdf_store", lambda *, statement_id: None)
    other = portal_user(world["alpha_contract"].supplier, username="alpha-second")
    signed_in(world["alpha"]).post(URL, {"query_answered": "on"})  # issue emails off
    with django_capture_on_commit_callbacks(execute=True):
        issue(world["alpha_feb_draft"], issue_date=date(2026, 3, 3))
    assert [message.to for message in mail.outbox] == [[other.email]]
