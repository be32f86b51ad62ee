"""The portal calls each line by its component's title, with the component id in small print,
and lists each document with its contract's title and reference."""

import pytest

from tests.integration.billing.conftest import load_contract

from .conftest import issue, portal_user, price, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def titled():
    contract = load_contract("ACME-N-001", supplier="Named CX Ltd", titles={"mgmt": "Account <management>"})
    return contract, issue(price(contract, "2026-01")), portal_user(contract.supplier)


def test_the_statement_page_shows_each_lines_title_with_its_id_in_small_print(titled):
    _, statement, user = titled
    body = signed_in(user).get(f"/statements/{statement.number}/").content.decode()
    row = '<th scope="row" data-label="Component"><span>{}<span class="sub">{}</span><a class="sub"'
    assert row.format("Account &lt;management&gt;", "mgmt · fixed fee") in body  # escaped like any text
    assert row.format("Voice", "voice · unit rate") in body  # no title: the id made readable
    assert row.format("Sla", "sla · service credit · service_level") in body


def test_the_list_shows_the_contracts_title_with_its_reference(titled):
    _, statement, user = titled
    body = signed_in(user).get("/statements/").content.decode()
    assert f'<a href="/statements/{statement.number}/">' in body
    assert (
        '<td data-label="Contract" class="wraps"><span>Test care<span class="sub">ACME-N-001</span></span></td>'
        in body
    )
