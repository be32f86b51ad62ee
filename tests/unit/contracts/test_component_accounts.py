"""A component's optional ``gl_code`` and ``cost_centre``: the accounts the journal books its
lines to, kept in its parameters after ``title`` and refused with their key path when bad."""

import pytest
import yaml

from contracts.schema import ContractFileError, validate_contract

from .test_schema import CATALOGUE_INFO, GOOD


def with_keys(**keys):
    document = yaml.safe_load(GOOD)
    document["terms"][0]["components"][0].update(keys)
    return document


def first_component(document):
    return (
        validate_contract(document, file_name="acme.yaml", catalogue=CATALOGUE_INFO).versions[0].components[0]
    )


# Accepted codes: kept exactly, after the title and before the type's own keys.
@pytest.mark.parametrize(
    ("code", "kept"),
    [
        ("6100", "6100"),
        (6100, "6100"),  # digits without quotes are the code as written
        ("CC-UK.care_01", "CC-UK.care_01"),
        ("x" * 30, "x" * 30),
    ],
)
def test_codes_are_kept_in_canonical_order(code, kept):
    component = first_component(with_keys(title="Management", gl_code=code, cost_centre=code))
    assert list(component.params) == ["title", "gl_code", "cost_centre", "amount"]
    assert component.params["gl_code"] == kept
    assert component.params["cost_centre"] == kept


def test_codes_are_optional_and_null_is_none():
    assert first_component(with_keys(gl_code=None, cost_centre=None)).params == {"amount": "15000.00"}
    assert first_component(with_keys(gl_code="6100")).params == {"gl_code": "6100", "amount": "15000.00"}


# Refused codes: one message naming the key path; the file refused whole.
@pytest.mark.parametrize(
    "code",
    [
        "",
        "x" * 31,
        "61 00",
        "6100\n",
        "=1+1",
        "£100",
        "6100/1",
        "-6100",
        ".6100",
        True,
        1.5,
        ["6100"],
        {"a": 1},
        -1,
    ],
)
@pytest.mark.parametrize("key", ["gl_code", "cost_centre"])
def test_a_bad_code_is_refused_with_its_key_path(key, code):
    with pytest.raises(ContractFileError) as refused:
        first_component(with_keys(**{key: code}))
    (line,) = refused.value.lines()
    assert line.startswith(f"acme.yaml: terms[0].components[0].{key}: expected 1–30 letters, digits")
