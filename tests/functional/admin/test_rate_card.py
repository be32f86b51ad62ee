"""Procurement reads a terms version as a rate card in words, on the version's page and on its
contract's page, for its own buyer's contracts only."""

from pathlib import Path

import pytest
from django.urls import reverse

from contracts.models import Contract
from contracts.services import contract_import_content
from tests.demo_index import import_demo_index
from tests.integration.contracts.test_import_records import procurement_client

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "contracts"


def import_demo(name: str) -> Contract:
    import_demo_index()  # the series an indexed demo contract names
    path = FIXTURES / name
    result = contract_import_content(file_name=path.name, content=path.read_bytes())
    return Contract.objects.get(reference=result.reference)


@pytest.fixture
def acme():
    return import_demo("acme-telecom.yaml")


@pytest.fixture
def bright():
    return import_demo("bright-retail.yaml")


@pytest.fixture
def client(acme):
    return procurement_client(acme, "acme-procurement")


def test_the_version_page_shows_its_rate_card_in_words(client, acme):
    version = acme.versions.get(effective_from="2026-03")
    response = client.get(reverse("admin:contracts_termsversion_change", args=[version.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Rate card" in content
    assert "Voice contacts handled: GBP 3.00 each up to 10,000; GBP 2.50 each up to 25,000" in content
    assert "Shared savings on Cost to serve: baseline GBP 4.00 per unit of All contacts handled" in content
    assert (
        "Abandonment rate, stepped (the worst band reached): above 3 → 1 %, above 5 → 3 %, above 8 → 6 % credit"
        in content
    )
    # The January version has no gain share: each page shows its own version's terms.
    january = acme.versions.get(effective_from="2026-01")
    response = client.get(reverse("admin:contracts_termsversion_change", args=[january.pk]))
    assert "Chat contacts handled: GBP 1.80 each" in response.content.decode()
    assert "Shared savings" not in response.content.decode()


def test_the_contract_page_shows_each_versions_rate_card(client, acme):
    response = client.get(reverse("admin:contracts_contract_change", args=[acme.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("Fixed fee: GBP 15,000.00 a month") == 2  # one per version
    assert "Experience bonus: a pool of 3 % of the month&#x27;s charges" in content


def test_another_buyers_version_is_answered_as_one_that_does_not_exist(client, bright):
    """The admin answers a missing id with a redirect to its index (Django's own behaviour);
    another buyer's version and contract get exactly that answer and none of their terms."""
    for url_name, pk in (
        ("admin:contracts_termsversion_change", bright.versions.get().pk),
        ("admin:contracts_contract_change", bright.pk),
    ):
        missing = client.get(reverse(url_name, args=[10**9]))
        response = client.get(reverse(url_name, args=[pk]), follow=True)
        assert response.redirect_chain[0] == (missing["Location"], missing.status_code) == ("/admin/", 302)
        assert b"EUR" not in response.content and b"Lumen" not in response.content


def test_a_component_text_is_escaped(client, acme):
    version = acme.versions.get(effective_from="2026-01")
    component = version.components.get(component_id="chat")
    component.params = {"measure": "<script>x</script>"}  # not canonical: shown raw, escaped
    component.save()
    response = client.get(reverse("admin:contracts_termsversion_change", args=[version.pk]))
    content = response.content.decode()
    assert "<script>x</script>" not in content
    assert "Not in canonical form: measure = &#x27;&lt;script&gt;x&lt;/script&gt;&#x27;" in content
