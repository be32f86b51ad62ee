"""Procurement reads a statement's money and KPI values in the admin as people read them:
``£13,300.00``, not ``13300.0000``; ``78.00%`` with the exact value on hover."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from billing.models import Statement
from billing.services import statement_price_draft
from contracts.models import Membership
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db


def signed_in_procurement(contract) -> Client:
    user = User.objects.create_user("numbers-procurement", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def january(contract) -> Statement:
    """Fixed fee 10,000 + voice 1,500 contacts (1,000 × 3 + 500 × 2) = 14,000; service level 78
    against 80 credits 5% (-700): net 13,300, VAT 2,660, gross 15,960."""
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    return statement_price_draft(contract_id=contract.pk, period=Period.parse("2026-01"))


def cell_texts(page: str, css_class: str) -> list[str]:
    return re.findall(rf'<td class="{css_class}">(.*?)</td>', page)


def test_the_statement_list_shows_amounts_in_the_currency_and_flags_by_code(contract, january):
    Statement.objects.filter(pk=january.pk).update(
        flags=[
            {"code": "net_changed", "message": "net changed +12.0%"},
            {"code": "missing_kpi", "message": "…"},
        ]
    )
    page = signed_in_procurement(contract).get(reverse("admin:billing_statement_changelist")).content.decode()
    assert cell_texts(page, "field-net_shown") == ["£13,300.00"]
    assert cell_texts(page, "field-gross_shown") == ["£15,960.00"]
    assert cell_texts(page, "field-flag_codes") == ["net_changed, missing_kpi"]
    assert "13300.0000" not in page


def test_the_statement_page_shows_totals_lines_comparison_and_kpis_for_reading(contract, january):
    page = (
        signed_in_procurement(contract)
        .get(reverse("admin:billing_statement_change", args=[january.pk]))
        .content.decode()
    )
    for field, shown in [
        ("net_shown", "£13,300.00"),
        ("tax_shown", "£2,660.00"),
        ("gross_shown", "£15,960.00"),
    ]:
        assert re.search(rf'field-{field}.*?<div class="readonly">{re.escape(shown)}</div>', page, re.S), (
            field
        )
    lines = re.findall(r'<td class="field-amount_shown">\s*<p>(.*?)</p>', page)
    assert lines == ["£10,000.00", "£4,000.00", "-£700.00"]
    comparison = re.search(r'<table id="comparison">.*?</table>', page, re.S).group(0)
    assert '<td class="amount">-£700.00</td>' in comparison and '<td class="amount">—</td>' in comparison
    kpis = re.search(r'<table id="kpi-inputs">.*?</table>', page, re.S).group(0)
    assert '<span title="78.0000000000">78.00%</span>' in kpis
    assert '<span title="1500">1,500</span>' in kpis


def test_the_statement_table_for_people_shows_each_amount_in_its_currency(contract, january, capsys):
    call_command("statement_table")
    row = next(line for line in capsys.readouterr().out.splitlines() if contract.reference in line)
    assert row.split()[5:9] == ["£13,300.00", "£2,660.00", "£15,960.00", "GBP"]


def filter_choices(page: str, title: str) -> list[str]:
    """The choices a change list's filter offers, by its title (``buyer``)."""
    found = re.search(rf'<details data-filter-title="{title}".*?</details>', page, re.S)
    return re.findall(r'<a href="\?[^"]*">(.*?)</a>', found.group(0)) if found else []


def test_the_buyer_filter_lists_only_buyers_and_only_the_procurement_user_s_own(contract, january):
    other = load_contract("GLOBEX-T-001", "Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    load_kpis(month(other.reference, "2026-01", 1500, 78), name="globex.csv")
    statement_price_draft(contract_id=other.pk, period=Period.parse("2026-01"))
    url = reverse("admin:billing_statement_changelist")
    procurement = signed_in_procurement(contract)
    page = procurement.get(url).content.decode()
    assert filter_choices(page, "buyer") == ["All", "Acme Telecom plc"]
    assert filter_choices(page, "supplier") == []  # one supplier: Django shows no choice
    superuser = Client()
    superuser.force_login(User.objects.create_superuser("numbers-root", "root@example.com", "pw"))
    page = superuser.get(url).content.decode()
    assert filter_choices(page, "buyer") == ["All", "Acme Telecom plc", "Globex Mobile Ltd"]
    filtered = procurement.get(url, {"buyer": str(other.buyer_id)}).content.decode()
    assert "GLOBEX" not in filtered and "0 statements" in filtered
    for hostile in ["x", "1" * 40, "٣", "-1"]:
        response = procurement.get(url, {"buyer": hostile})
        assert response.status_code == 200 and "0 statements" in response.content.decode(), hostile
