"""The admin's value pages: a contract's months and procurement's portfolio, with the numbers
worked by hand in tests/integration/billing/value_world.py, and nothing of another buyer's."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from contracts.models import Membership, Organisation
from tests.integration.billing.value_world import build_value_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_value_world()


def procurement_client(code: str) -> Client:
    user = User.objects.create_user(f"procurement-{code.lower()}", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code=code), role="procurement")
    client = Client()
    client.force_login(user)
    return client


def value_url(contract, **query) -> str:
    url = reverse("admin:billing_statement_contract_value", args=[contract.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def test_the_contract_page_shows_each_month_split_and_pay(world):
    response = procurement_client("ACME").get(value_url(world["gbp"]))
    assert response.status_code == 200
    text = response.content.decode()
    # The range ends at the latest issued month and starts at the first, within twelve months.
    assert (response.context["first"], response.context["last"]) == ("2026-01", "2026-03")
    rows = [
        (r["period"], r["value"], r["share"], r["retained"], r["total"]) for r in response.context["rows"]
    ]
    assert rows == [
        ("2026-01", "£1,000.00", "£500.00", "£500.00", "£2,550.00"),
        ("2026-02", "£5,000.00", "£500.00", "£4,500.00", "£2,400.00"),
        ("2026-03", "£1,200.00", "£600.00", "£600.00", "£2,600.00"),
    ]
    assert response.context["buckets"] == ["Fixed", "Per unit", "Shared value", "Outcomes", "Credits"]
    assert response.context["totals"]["pay"] == ["£3,000.00", "£3,000.00", "£1,600.00", "£50.00", "-£100.00"]
    assert 'id="value-split-chart-title"' in text and 'id="value-pay-chart-title"' in text
    assert "2026-03 · Buyer&#x27;s retained part: £600.00" in text
    # The charts' axes start from zero: a gridline labelled 0 in each.
    for chart in (response.context["split_chart"], response.context["pay_chart"]):
        assert "0" in [line["label"] for line in chart["grid"]]
    # The pay chart draws the credit below zero.
    credit = [p for b in response.context["pay_chart"]["bars"] for p in b["parts"] if p["key"] == "credits"]
    assert len(credit) == 1 and float(credit[0]["y"]) >= float(response.context["pay_chart"]["zero_y"])


def test_the_contract_page_is_linked_from_the_contract(world):
    response = procurement_client("ACME").get(
        reverse("admin:contracts_contract_change", args=[world["gbp"].pk])
    )
    assert value_url(world["gbp"]).encode() in response.content


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "2026-13"}, "Enter a month as YYYY-MM."),
        ({"to": "March"}, "Enter a month as YYYY-MM."),
        ({"from": "2026-05", "to": "2026-04"}, "starts (2026-05) after it ends (2026-04)"),
        ({"from": "2000-01", "to": "2026-04"}, "at most 120 months"),
    ],
)
def test_a_bad_range_is_a_form_error_not_a_500(world, query, message):
    response = procurement_client("ACME").get(value_url(world["gbp"], **query))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "rows" not in response.context


def test_another_buyers_contract_is_a_404(world):
    response = procurement_client("ACME").get(value_url(world["other"]))
    assert response.status_code == 404
    assert b"VAL-OTH-001" not in response.content
    assert procurement_client("GLOBEX").get(value_url(world["other"])).status_code == 200


def test_the_portfolio_is_the_buyers_own_per_currency(world):
    client = procurement_client("ACME")
    index = client.get(reverse("admin:index"))
    assert reverse("admin:billing_statement_portfolio").encode() in index.content
    response = client.get(reverse("admin:billing_statement_portfolio"))
    assert response.status_code == 200
    assert response.context["year"] == 2026  # the latest year with documents
    parts = {part["currency"]: part for part in response.context["currencies"]}
    assert sorted(parts) == ["EUR", "GBP"]
    assert parts["GBP"]["mix"] == "21.6%"
    assert parts["GBP"]["totals"]["value"] == "£7,200.00"
    assert parts["GBP"]["totals"]["total"] == "£7,550.00"
    assert [row["contract"].reference for row in parts["GBP"]["contracts"]] == ["VAL-GBP-001"]
    assert b"VAL-OTH-001" not in response.content and b"Zeta" not in response.content


@pytest.mark.parametrize("year", ["1999", "twenty", "2026" * 10])
def test_a_bad_year_is_a_form_error(world, year):
    response = procurement_client("ACME").get(reverse("admin:billing_statement_portfolio"), {"year": year})
    assert response.status_code == 200
    assert "currencies" not in response.context


def test_a_staff_user_without_a_buyer_is_refused_the_portfolio(world):
    user = User.objects.create_user("staff-only", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin:billing_statement_portfolio")).status_code == 403
    assert client.get(value_url(world["gbp"])).status_code == 404
