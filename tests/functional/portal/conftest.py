"""Suppliers, their users and issued statements for the portal tests, through the real services."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from billing.models import Statement
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Membership, Organisation
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month

PASSWORD = "correct-horse-battery-staple"


def portal_user(organisation: Organisation, role: str = "supplier", username: str | None = None) -> User:
    """A user acting for ``organisation`` in ``role``, with ``PASSWORD`` and an email address."""
    username = username or f"{role}-{organisation.code}".lower()
    user = User.objects.create_user(username, email=f"{username}@example.com", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def logged_in_through_the_form(username: str, password: str) -> Client:
    """A client logged in by posting the login form, as a browser does: the lockout backend
    checks every password against the request it came with, so ``Client.login`` cannot."""
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302 and response["Location"] == "/statements/", response.content
    return client


def price(contract, period: str, voice: int = 1500, service_level: int = 78, name: str = "") -> Statement:
    """Load the month's KPIs and price a draft (an adjustment draft if the month is issued)."""
    load_kpis(
        month(contract.reference, period, voice, service_level),
        name=name or f"{contract.reference}-{period}.csv",
    )
    return statement_price_draft(contract_id=contract.pk, period=Period.parse(period))


def issue(draft: Statement, issue_date: date = date(2026, 2, 3)) -> Statement:
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=issue_date)


def build_world() -> dict:
    """Alpha has January issued and February only drafted; Beta has January issued."""
    alpha_contract = load_contract("ACME-A-001", supplier="Alpha CX Ltd")
    beta_contract = load_contract("ACME-B-001", supplier="Beta CX Ltd")
    alpha_jan = issue(price(alpha_contract, "2026-01"))
    beta_jan = issue(price(beta_contract, "2026-01", voice=900, service_level=85))
    alpha_feb_draft = price(alpha_contract, "2026-02", voice=1600, service_level=82)
    return {
        "alpha_contract": alpha_contract,
        "beta_contract": beta_contract,
        "alpha_jan": alpha_jan,
        "beta_jan": beta_jan,
        "alpha_feb_draft": alpha_feb_draft,
        "alpha": portal_user(alpha_contract.supplier),
        "beta": portal_user(beta_contract.supplier),
    }


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Password-reset counters live in the per-process cache: each test starts from zero."""
    cache.clear()
