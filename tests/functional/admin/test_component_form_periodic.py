"""The multi-month keys through the admin's component fields: a settlement is typed as its
``key=value`` words, a rolling cap as its two keys, each checked by the import's validator."""

import pytest

from tests.functional.admin.test_component_form import page_form
from tests.functional.admin.test_rate_card import import_demo
from tests.integration.contracts.test_import_records import procurement_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def bright():
    return import_demo("bright-retail.yaml")


@pytest.fixture
def client(bright):
    return procurement_client(bright, "bright-procurement")


def test_a_settlement_shows_as_words_and_saves_back_as_a_mapping(client, bright):
    version = bright.versions.get()
    url, data = page_form(client, version)
    assert data["components-2-params_settlement"] == "period=quarter provisional_percent=80"
    assert data["components-5-params_excess"] == "carry_forward"
    data["components-2-params_settlement"] = "period=contract_year provisional_percent=70"
    data["components-5-params_rolling_cap_percent"] = "2"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert version.components.get(component_id="uplift").params["settlement"] == {
        "period": "contract_year",
        "provisional_percent": "70",
    }
    assert version.components.get(component_id="resolution").params["rolling_cap_percent"] == "2"


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        (
            "components-2-params_settlement",
            "period=monthly provisional_percent=80",
            "params.settlement.period: must be one of quarter, contract_year",
        ),
        (
            "components-2-params_settlement",
            "quarter",
            "params.settlement: &#x27;quarter&#x27; is not key=value",
        ),
        ("components-5-params_excess", "", "params.excess: is required with rolling_cap_percent"),
    ],
)
def test_a_bad_multi_month_value_shows_the_imports_message(client, bright, field, text, message):
    version = bright.versions.get()
    before = {c.component_id: c.params for c in version.components.all()}
    url, data = page_form(client, version)
    data[field] = text
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert {c.component_id: c.params for c in version.components.all()} == before
