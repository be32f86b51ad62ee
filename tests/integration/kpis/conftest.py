"""Parties and contracts the KPI ingestion tests share."""

from datetime import date

import pytest

from contracts.models import Contract, Organisation


@pytest.fixture
def parties():
    buyer = Organisation.objects.create(name="Acme Telecom plc", code="ACME", country="GB")
    north = Organisation.objects.create(name="Northwind CX Ltd", code="NORTHWIND", country="GB")
    other = Organisation.objects.create(name="Other CX Ltd", code="OTHER", country="GB")
    return buyer, north, other


@pytest.fixture
def contract(parties):
    buyer, north, _ = parties
    return Contract.objects.create(
        reference="ACME-TEL-001",
        title="Care",
        buyer=buyer,
        supplier=north,
        tax_rate=20,
        start_date=date(2026, 1, 1),
    )


@pytest.fixture
def other_contract(parties):
    buyer, _, other = parties
    return Contract.objects.create(
        reference="ACME-TEL-002",
        title="Care 2",
        buyer=buyer,
        supplier=other,
        tax_rate=20,
        start_date=date(2026, 1, 1),
    )
