"""Fixtures shared by the functional tests of a contract's consistency rules (``kpi_checks``)."""

import pytest
from django.contrib.auth.models import Group, User

from contracts.models import Contract, Membership
from contracts.services import contract_import_content
from tests.integration.billing.conftest import CONTRACT

RULES = """kpi_checks:
  - {kpi: contacts_total, equals_sum_of: [contacts_voice, contacts_chat], tolerance_percent: "1"}
  - {kpi: service_level, min: "50"}
"""


def contract_text(rules: str = RULES) -> str:
    text = CONTRACT.format(
        reference="ACME-T-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    return text.replace("terms:\n", rules + "terms:\n", 1)


@pytest.fixture
def checked_contract():
    contract_import_content(file_name="acme.yaml", content=contract_text().encode())
    return Contract.objects.get(reference="ACME-T-001")


@pytest.fixture
def acme_procurement(checked_contract):
    user = User.objects.create_user("procurement-acme", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=checked_contract.buyer, role="procurement")
    return user
