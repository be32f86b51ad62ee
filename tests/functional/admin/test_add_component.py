"""Procurement adds a component through its type's own fields: the type first, then that
type's form, checked by the contract file's validator with the import's messages."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from contracts.models import Component
from tests.functional.admin.test_rate_card import import_demo
from tests.integration.contracts.test_import import issue_statement_for
from tests.integration.contracts.test_import_records import procurement_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def northern():
    return import_demo("northern-utility.yaml")


@pytest.fixture
def client(northern):
    return procurement_client(northern, "nwater-procurement")


def test_a_component_is_added_by_type_and_checked_as_the_file_is(client, northern):
    version = northern.versions.get()
    url = reverse("admin:contracts_termsversion_add_component", args=[version.pk])
    page = client.get(reverse("admin:contracts_termsversion_change", args=[version.pk]))
    assert url.encode() in page.content  # the version's page offers it
    first = client.get(url)
    assert first.status_code == 200 and b'name="type"' in first.content and b"params" not in first.content
    second = client.get(url, {"type": "unit_rate"})
    content = second.content.decode()
    for key in ("measure", "bands", "mode", "minimum_charge"):
        assert f'name="params_{key}"' in content
    fields = {
        "position": "9",
        "component_id": "social",
        "params_measure": "contacts_social",
        "params_bands": "1000 1.50\n500 1.20\nnull 1.00",  # bands must ascend
        "params_mode": "",
        "params_minimum_charge": "",
    }
    refused = client.post(f"{url}?type=unit_rate", fields)
    assert refused.status_code == 200, refused
    assert "params.bands[1].up_to: bands must ascend without overlap" in refused.content.decode()
    assert not version.components.filter(component_id="social").exists()
    fields["params_bands"] = "1000 1.50\nnull 1.20"
    taken = client.post(f"{url}?type=unit_rate", {**fields, "component_id": "email"})
    assert b"this version already has a component with this id" in taken.content
    added = client.post(f"{url}?type=unit_rate", fields)
    assert added.status_code == 302
    component = version.components.get(component_id="social")
    assert (component.type, component.position) == ("unit_rate", 9)
    assert component.params["bands"] == [{"up_to": "1000", "price": "1.50"}, {"up_to": None, "price": "1.20"}]
    assert component.history.get().history_user.username == "nwater-procurement"
    assert LogEntry.objects.filter(
        object_id=str(version.pk), change_message="Added component social"
    ).exists()


def test_an_unknown_type_is_a_form_error(client, northern):
    url = reverse("admin:contracts_termsversion_add_component", args=[northern.versions.get().pk])
    for bad in ("nope", "unit_rate\x00", "x" * 5000):
        response = client.get(url, {"type": bad})
        assert response.status_code == 200 and b"Select a valid choice" in response.content


def test_a_frozen_version_refuses_and_another_buyers_version_is_not_found(client, northern):
    version = northern.versions.get()
    other = import_demo("acme-telecom.yaml").versions.first()
    other_url = reverse("admin:contracts_termsversion_add_component", args=[other.pk])
    assert client.get(other_url, {"type": "fixed_fee"}).status_code == 404
    assert (
        client.post(f"{other_url}?type=fixed_fee", {"component_id": "x", "params_amount": "1"}).status_code
        == 404
    )
    issue_statement_for(version)
    url = reverse("admin:contracts_termsversion_add_component", args=[version.pk])
    before = Component.objects.count()
    response = client.post(
        f"{url}?type=fixed_fee", {"component_id": "x", "params_amount": "1.00", "position": "0"}
    )
    assert response.status_code == 302 and Component.objects.count() == before
