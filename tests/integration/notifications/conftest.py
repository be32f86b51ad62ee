"""Two buyers, two suppliers and their users, for the notification tests: exactly who is
entitled to each email, and everyone who is not."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import override_settings

from contracts.models import Membership
from tests.functional.portal.conftest import issue, price
from tests.integration.billing.conftest import load_contract

SITE = "https://billing.example.com"


def member(username: str, organisation, role: str, **fields) -> User:
    fields.setdefault("email", f"{username}@example.com")
    user = User.objects.create_user(username, **fields)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def parties(db):
    """Alpha supplies Acme and Beta supplies Globex, each with an approved January ready to
    issue. Alpha has two users who receive supplier emails and two who must not (no address,
    inactive); each buyer has a procurement user, Acme also a finance user; a superuser with an
    address belongs to nobody."""
    alpha_contract = load_contract("ACME-N-001", supplier="Alpha CX Ltd")
    beta_contract = load_contract(
        "GLOBEX-N-001", supplier="Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd"
    )
    users = {
        "alpha": member("alpha-1", alpha_contract.supplier, "supplier"),
        "alpha_2": member("alpha-2", alpha_contract.supplier, "supplier", first_name="Ada", last_name="Lane"),
        "alpha_no_email": member("alpha-3", alpha_contract.supplier, "supplier", email=""),
        "alpha_inactive": member("alpha-4", alpha_contract.supplier, "supplier", is_active=False),
        "beta": member("beta-1", beta_contract.supplier, "supplier"),
        "acme_procurement": member("acme-proc", alpha_contract.buyer, "procurement", is_staff=True),
        "acme_finance": member("acme-fin", alpha_contract.buyer, "finance"),
        "globex_procurement": member("globex-proc", beta_contract.buyer, "procurement", is_staff=True),
    }
    users["root"] = User.objects.create_superuser("root", "root@example.com", "x")
    return {
        "alpha_contract": alpha_contract,
        "beta_contract": beta_contract,
        "alpha_draft": price(alpha_contract, "2026-01"),
        "beta_draft": price(beta_contract, "2026-01", voice=900, service_level=85),
        **users,
    }


@pytest.fixture
def issued(parties, django_capture_on_commit_callbacks):
    """Alpha's January issued, its commit callbacks run (the PDF, the notification); the
    outbox emptied after."""
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue(parties["alpha_draft"])
    mail.outbox.clear()
    return statement


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch):
    """Issuing queues the PDF after commit too; its rendering is tested in billing's tests."""
    from billing import pdf

    monkeypatch.setattr(pdf, "statement_pdf_store", lambda *, statement_id: None)


@pytest.fixture(autouse=True)
def _site_url():
    with override_settings(SITE_URL=SITE):
        yield


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)
