"""A terms version's page shows its incentive alignment on the contract's latest month, to the
buyer's own procurement users only."""

from pathlib import Path

import pytest
from django.urls import reverse

from contracts.models import Contract
from contracts.services import contract_import_content
from tests.integration.billing.conftest import load_kpis
from tests.integration.contracts.test_import_records import procurement_client

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "contracts"
MARCH = "".join(
    f"ACME-TEL-001,2026-03,,{code},{value},,,,\n"
    for code, value in {
        "contacts_voice": "12000",
        "contacts_chat": "3000",
        "contacts_total": "15000",
        "service_level": "85",
        "abandon_rate": "4",
        "cost_to_serve": "50000",
        "csat": "86",
        "fcr": "76",
        "nps": "32",
    }.items()
)


def import_demo(name: str) -> Contract:
    path = FIXTURES / name
    result = contract_import_content(file_name=path.name, content=path.read_bytes())
    return Contract.objects.get(reference=result.reference)


@pytest.fixture
def acme():
    return import_demo("acme-telecom.yaml")


@pytest.fixture
def bright():
    return import_demo("bright-retail.yaml")


def version_page(client, version):
    return client.get(reverse("admin:contracts_termsversion_change", args=[version.pk]))


def test_the_version_page_shows_each_kpis_verdict_and_the_traps(acme):
    load_kpis(MARCH, "march.csv")
    client = procurement_client(acme, "acme-procurement")
    response = version_page(client, acme.versions.get(effective_from="2026-01"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Incentive alignment" in content
    assert "Reference month: <strong>2026-03</strong>" in content
    # Per contact only: 600 fewer voice contacts cost the supplier £1,500.00.
    section = content[content.index('id="incentive-alignment"') :]
    assert '<tr class="verdict-misaligned">' in section and "Voice contacts handled" in section
    assert "-£1,500.00" in section
    assert "Pay rises with contact volume." in section
    assert "nothing in the terms rewards fewer contacts" in section
    # The gain-share version rewards a lower cost to serve, and names no volume trap.
    march = version_page(client, acme.versions.get(effective_from="2026-03")).content.decode()
    section = march[march.index('id="incentive-alignment"') :]
    assert '<tr class="verdict-aligned">' in section and "£625.00" in section
    assert "Pay rises with contact volume" not in section


def test_without_kpi_values_the_page_says_there_is_nothing_to_check(acme):
    client = procurement_client(acme, "acme-procurement")
    content = version_page(client, acme.versions.get(effective_from="2026-03")).content.decode()
    assert "ACME-TEL-001 has no month with KPI values yet: nothing to check." in content


def test_another_buyers_version_and_its_alignment_are_not_shown(acme, bright):
    load_kpis(MARCH, "march.csv")
    client = procurement_client(bright, "bright-procurement")
    response = version_page(client, acme.versions.get(effective_from="2026-01"))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client.get(response["Location"])
    assert b"Incentive alignment" not in response.content and b"ACME-TEL-001" not in response.content
    # The buyer's own version shows its own section.
    own = version_page(client, bright.versions.first()).content.decode()
    assert "Incentive alignment" in own and "ACME-TEL-001" not in own


def test_the_contract_page_links_each_version_to_its_alignment(acme):
    client = procurement_client(acme, "acme-procurement")
    content = client.get(reverse("admin:contracts_contract_change", args=[acme.pk])).content.decode()
    for version in acme.versions.all():
        page = reverse("admin:contracts_termsversion_change", args=[version.pk])
        assert f'<a href="{page}#incentive-alignment">Incentive alignment</a>' in content
