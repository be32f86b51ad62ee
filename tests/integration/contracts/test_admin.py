"""Procurement's admin: pages load, components are validated like the file, files go in and out."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.models import Component, Contract, TermsVersion
from contracts.services import contract_import_content
from tests.integration.contracts.test_import import issue_statement_for
from tests.unit.contracts.test_schema import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract():
    contract_import_content(file_name="acme.yaml", content=GOOD.encode())
    return Contract.objects.get(reference="ACME-NW-001")


@pytest.mark.parametrize(
    "url",
    [
        "admin:contracts_contract_changelist",
        "admin:contracts_contract_add",
        "admin:contracts_organisation_changelist",
        "admin:contracts_termsversion_changelist",
        "admin:contracts_membership_changelist",
        "admin:contracts_kpi_changelist",
        "admin:contracts_contract_import",
    ],
)
def test_admin_pages_load(admin_client, contract, url):
    response = admin_client.get(reverse(url))
    assert response.status_code == 200


def test_contract_change_page_shows_versions_and_export_link(admin_client, contract):
    response = admin_client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    assert response.status_code == 200
    assert b"2026-01" in response.content
    assert reverse("admin:contracts_contract_export", args=[contract.pk]).encode() in response.content


def test_contract_search_and_filters(admin_client, contract):
    response = admin_client.get(
        reverse("admin:contracts_contract_changelist"), {"q": "Northwind", "active": "yes"}
    )
    assert contract.reference.encode() in response.content


def test_export_downloads_the_contract_file(admin_client, contract):
    response = admin_client.get(reverse("admin:contracts_contract_export", args=[contract.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="ACME-NW-001.yaml"'
    assert response.content.decode().startswith("reference: ACME-NW-001")


def test_import_view_shows_every_error_and_imports_nothing(admin_client):
    bad = GOOD.replace("currency: GBP", "currency: GPB").replace("kpi: fcr,", "kpi: fcx,")
    upload = SimpleUploadedFile("bad.yaml", bad.encode())
    response = admin_client.post(reverse("admin:contracts_contract_import"), {"file": upload})
    assert response.status_code == 200
    content = response.content.decode()
    assert "bad.yaml: currency: unknown ISO 4217 currency code &#x27;GPB&#x27;" in content
    assert "unknown KPI code &#x27;fcx&#x27;" in content
    assert not Contract.objects.exists()


def test_import_view_imports_a_good_file(admin_client):
    upload = SimpleUploadedFile("acme.yaml", GOOD.encode())
    response = admin_client.post(reverse("admin:contracts_contract_import"), {"file": upload})
    assert response.status_code == 302
    assert Contract.objects.filter(reference="ACME-NW-001").exists()


def component_formset(version, component, params):
    prefix = "components"
    return {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": str(component.pk),
        f"{prefix}-0-version": str(version.pk),
        f"{prefix}-0-position": "0",
        f"{prefix}-0-component_id": component.component_id,
        f"{prefix}-0-type": component.type,
        # A saved component is edited through its type's fields, one per key.
        **{f"{prefix}-0-params_{key}": str(value) for key, value in params.items()},
        "contract": str(version.contract_id),
        "effective_from": version.effective_from,
    }


def test_component_params_are_validated_in_the_admin(admin_client, contract):
    version = TermsVersion.objects.get()
    component = version.components.get(component_id="mgmt")
    url = reverse("admin:contracts_termsversion_change", args=[version.pk])
    # Only one inline row is posted, so the other components stay untouched.
    data = component_formset(version, component, {"amount": "-5"})
    data["components-TOTAL_FORMS"] = data["components-INITIAL_FORMS"] = "1"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "params.amount: must be at least 0, got -5" in response.content.decode()
    component.refresh_from_db()
    assert component.params == {"amount": "15000.00"}

    response = admin_client.post(url, component_formset(version, component, {"amount": 16000.5}))
    assert response.status_code == 302
    component.refresh_from_db()
    assert component.params == {"amount": "16000.5"}
    assert Decimal(component.params["amount"]) == Decimal("16000.5")


def test_a_version_that_priced_an_issued_statement_is_read_only(admin_client, contract):
    version = TermsVersion.objects.get()
    issue_statement_for(version)
    response = admin_client.get(reverse("admin:contracts_termsversion_change", args=[version.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    component = version.components.get(component_id="mgmt")
    admin_client.post(
        reverse("admin:contracts_termsversion_change", args=[version.pk]),
        component_formset(version, component, {"amount": "1.00"}),
    )
    assert Component.objects.get(pk=component.pk).params == {"amount": "15000.00"}
