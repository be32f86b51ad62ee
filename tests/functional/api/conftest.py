"""Issued documents of two buyers, each with two suppliers, and a finance user's token."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from knox.models import AuthToken

from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract, Membership, Organisation
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month

BUYERS = {"ACME": "Acme Telecom plc", "GLOBEX": "Globex Mobile Ltd"}
SUPPLIERS = ["Alpha CX Ltd", "Beta CX Ltd"]
PERIODS = ["2026-01", "2026-02", "2026-03"]


def two_buyers_contract(*, reference: str, buyer_code: str, supplier: str) -> Contract:
    return load_contract(reference, supplier, buyer_code=buyer_code, buyer_name=BUYERS[buyer_code])


@pytest.fixture
def two_buyers(db):
    """Per buyer, a contract with each supplier, issued for every month of ``PERIODS``.

    Returns ``{buyer code: [documents in issue order]}``.
    """
    documents: dict[str, list] = {code: [] for code in BUYERS}
    for buyer_code in BUYERS:
        for index, supplier in enumerate(SUPPLIERS):
            contract = two_buyers_contract(
                reference=f"{buyer_code}-{index + 1:03d}", buyer_code=buyer_code, supplier=supplier
            )
            for offset, period in enumerate(PERIODS):
                load_kpis(
                    month(contract.reference, period, 1200 + 100 * offset + index, 75 + offset),
                    name=f"{contract.reference}-{period}.csv",
                )
                draft = statement_price_draft(contract_id=contract.pk, period=Period.parse(period))
                statement_approve(statement_id=draft.pk)
                documents[buyer_code].append(
                    statement_issue(statement_id=draft.pk, issue_date=date(2026, 2 + offset, 3))
                )
    return documents


@pytest.fixture
def finance_token(two_buyers) -> str:
    """The token of a finance user of buyer ACME."""
    user = User.objects.create_user("finance-acme")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code="ACME"), role="finance")
    return AuthToken.objects.create(user=user)[1]


def document_numbers(documents: dict[str, list]) -> list[str]:
    """The numbers of every buyer's documents from ``two_buyers``, in a stable order."""
    return sorted(document.number for buyer_documents in documents.values() for document in buyer_documents)
