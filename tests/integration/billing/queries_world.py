"""A contract with an issued January, its supplier's user and its buyer's procurement user,
for the tests of queries and acknowledgements."""

from datetime import date

from django.contrib.auth.models import Group, User

from billing.models import Statement
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract, Membership
from pricing.period import Period

from .conftest import HEADER, load_contract, load_kpis, month


def issued_month(contract: Contract, period: str = "2026-01", voice: int = 1500) -> Statement:
    load_kpis(month(contract.reference, period, voice, 78), name=f"{contract.reference}-{period}.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse(period))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))


def supplier_user(contract: Contract, username: str) -> User:
    user = User.objects.create_user(username, password="pw")
    Membership.objects.create(user=user, organisation=contract.supplier, role="supplier")
    return user


def procurement_user(contract: Contract, username: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    return user


def corrected_file(contract: Contract, period: str = "2026-01", voice: int = 1600) -> bytes:
    """A KPI file of the month with another voice volume (the same service level)."""
    return (HEADER + month(contract.reference, period, voice, 78)).encode()


def world() -> dict:
    contract = load_contract()
    other = load_contract(
        "GLOBEX-T-001", supplier="Other CX Ltd", buyer_code="GLOBEX", buyer_name="Globex plc"
    )
    return {
        "contract": contract,
        "statement": issued_month(contract),
        "other_statement": issued_month(other),
        "other": other,
        "supplier": supplier_user(contract, "northwind-user"),
        "other_supplier": supplier_user(other, "other-user"),
        "procurement": procurement_user(contract, "acme-procurement"),
        "other_procurement": procurement_user(other, "globex-procurement"),
    }
