"""Procurement edits a saved component through the fields of its type, checked by the contract
file's validator with the import's messages; a frozen version stays refused."""

import pytest
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


def page_form(client, version) -> dict:
    """The change form as the browser would post it: every field with the value it shows."""
    url = reverse("admin:contracts_termsversion_change", args=[version.pk])
    context = client.get(url).context
    inline = context["inline_admin_formsets"][0].formset
    data = {
        "contract": version.contract_id,
        "effective_from": context["adminform"].form.initial["effective_from"],
    }
    data.update({f"{inline.prefix}-{k}": v for k, v in inline.management_form.initial.items()})
    for sub in inline.forms:
        for name, field in sub.fields.items():
            value = sub.initial.get(name, field.initial)
            key = sub.add_prefix(name)
            if name == "params":
                for param, text in zip(field.keys, field.widget.decompress(value), strict=True):
                    data[f"{key}_{param}"] = text
            elif name == "id":
                data[key] = sub.instance.pk
            elif name == "version":
                data[key] = version.pk
            elif value is not None:
                data[key] = value
    return url, data


def test_a_component_shows_its_types_fields_not_json(client, northern):
    version = northern.versions.get()
    content = client.get(reverse("admin:contracts_termsversion_change", args=[version.pk])).content.decode()
    prefix = "components-1-params"  # voice, a unit rate
    for key in ("measure", "bands", "mode", "minimum_charge"):
        assert f'name="{prefix}_{key}"' in content
    assert "20000 2.85\nnull 2.60" in content  # one band per line
    assert "service_level target=80 per_point_percent=1.5" in content


def test_editing_through_the_fields_saves_canonical_params_with_history(client, northern):
    version = northern.versions.get()
    url, data = page_form(client, version)
    data["components-1-params_bands"] = "20000 2.80\n40000 2.70\nnull 2.55"
    data["components-1-params_minimum_charge"] = ""
    data["components-3-params_earn_back_months"] = "3"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    voice = version.components.get(component_id="voice")
    assert voice.params == {
        "title": "Voice contacts",
        "gl_code": "6310",
        "cost_centre": "UTIL-OPS",
        "measure": "contacts_voice",
        "bands": [
            {"up_to": "20000", "price": "2.80"},
            {"up_to": "40000", "price": "2.70"},
            {"up_to": None, "price": "2.55"},
        ],
        "mode": "volume",
    }
    assert version.components.get(component_id="sla").params["earn_back_months"] == 3
    assert voice.history.latest().history_user.username == "nwater-procurement"
    assert version.components.get(component_id="service").params == {
        "title": "Service management",
        "gl_code": "6300",
        "cost_centre": "UTIL-OPS",
        "amount": "31000.00",
    }  # untouched


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        # The import's own messages, with the key path as the file names it.
        ("components-0-params_amount", "-5", "params.amount: must be at least 0, got -5"),
        (
            "components-1-params_bands",
            "20000 2.85\n10000 2.60\nnull 2.50",
            "params.bands[1].up_to: bands must ascend without overlap: 10000 is not above 20000",
        ),
        (
            "components-1-params_measure",
            "contacts_fax",
            "params.measure: unknown KPI code &#x27;contacts_fax&#x27;",
        ),
        ("components-3-params_earn_back_months", "99", "params.earn_back_months: must be at most 24, got 99"),
        (
            "components-3-params_kpis",
            "service_level target=80 credit_percent=101",
            "params.kpis[0].credit_percent: must be at most 100, got 101",
        ),
        # What the typed lines cannot read is named with its key and line.
        ("components-1-params_bands", "20000", "params.bands: line 1: give the limit and the value"),
        (
            "components-3-params_kpis",
            "service_level target",
            "params.kpis: line 1: &#x27;target&#x27; is not key=value",
        ),
        ("components-0-params_amount", "1" * 10_001, "params.amount: 10,001 characters; at most 10,000"),
        (
            "components-0-params_title",
            "x" * 81,
            "params.title: is 81 characters long; at most 80 are allowed",
        ),
    ],
)
def test_a_bad_value_shows_the_imports_message_and_saves_nothing(client, northern, field, text, message):
    version = northern.versions.get()
    before = {c.component_id: c.params for c in version.components.all()}
    url, data = page_form(client, version)
    data[field] = text
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert {c.component_id: c.params for c in version.components.all()} == before


def test_a_version_that_priced_an_issued_statement_stays_refused(client, northern):
    version = northern.versions.get()
    url, data = page_form(client, version)
    issue_statement_for(version)
    data["components-0-params_amount"] = "1.00"
    client.post(url, data)
    assert Component.objects.get(version=version, component_id="service").params == {
        "title": "Service management",
        "gl_code": "6300",
        "cost_centre": "UTIL-OPS",
        "amount": "31000.00",
    }
    assert b'name="_save"' not in client.get(url).content


def test_a_title_is_edited_through_its_own_field_and_kept_first(client, northern):
    version = northern.versions.get()
    url, data = page_form(client, version)
    assert data["components-0-params_title"] == "Service management"  # shown as the file gives it
    data["components-0-params_title"] = "  Service and account management "
    data["components-2-params_title"] = ""  # blank: no title
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert version.components.get(component_id="service").params == {
        "title": "Service and account management",
        "gl_code": "6300",
        "cost_centre": "UTIL-OPS",
        "amount": "31000.00",
    }
    assert "title" not in version.components.get(component_id="email").params
