"""A component's optional ``title``: checked like every other text key, kept first among its
parameters, and carried to the pricing dataclass."""

import pytest
import yaml

from contracts.components import component_to_pricing
from contracts.schema import ContractFileError, validate_contract
from pricing.terms import FixedFee, UnitRate

from .test_schema import CATALOGUE_INFO, GOOD

WHERE = "acme.yaml: terms[0].components[0].title"


def with_title(title):
    document = yaml.safe_load(GOOD)
    document["terms"][0]["components"][0]["title"] = title
    return document


def first_component(document):
    return (
        validate_contract(document, file_name="acme.yaml", catalogue=CATALOGUE_INFO).versions[0].components[0]
    )


# Accepted titles: stripped, up to 80 characters, any printable text; null is no title.
@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("Account management", "Account management"),
        ("  Account management  ", "Account management"),
        ("x" * 80, "x" * 80),
        ("Gestión de cuentas — 24/7 · niveau « or »", "Gestión de cuentas — 24/7 · niveau « or »"),
    ],
)
def test_a_title_is_kept_first_in_the_parameters(title, kept):
    component = first_component(with_title(title))
    assert list(component.params) == ["title", "amount"]
    assert component.params["title"] == kept


def test_no_title_or_a_null_one_keeps_the_parameters_without_it():
    assert first_component(yaml.safe_load(GOOD)).params == {"amount": "15000.00"}
    assert first_component(with_title(None)).params == {"amount": "15000.00"}


# Refused titles: each one message naming the file and the key path, and the file refused whole.
@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("x" * 81, "is 81 characters long; at most 80 are allowed"),
        (" " + "x" * 81 + " ", "is 81 characters long; at most 80 are allowed"),
        ("Account\nmanagement", "contains control character (U+000A), which is not allowed in text"),
        ("Bell\x07", "contains control character (U+0007), which is not allowed in text"),
        ("Right\u202eto left", "contains right-to-left override (U+202E), which is not allowed in text"),
        ("", "expected non-empty text, got ''"),
        ("   ", "expected non-empty text, got '   '"),
        (12, "expected non-empty text, got 12"),
        (["a"], "expected non-empty text, got a list"),
    ],
)
def test_a_bad_title_is_refused_with_its_key_path(title, message):
    with pytest.raises(ContractFileError) as refused:
        first_component(with_title(title))
    assert refused.value.lines() == [f"{WHERE}: {message}"]


def test_the_title_reaches_the_pricing_terms_and_its_absence_too():
    fee = component_to_pricing(
        component_id="mgmt",
        type_="fixed_fee",
        params={"title": "Account management", "amount": "1.00"},
        catalogue={},
    )
    assert fee == FixedFee("mgmt", fee.amount, title="Account management")
    rate = component_to_pricing(
        component_id="voice",
        type_="unit_rate",
        params={"measure": "contacts_voice", "bands": [{"up_to": None, "price": "2.00"}]},
        catalogue=CATALOGUE_INFO,
    )
    assert isinstance(rate, UnitRate) and rate.title is None
