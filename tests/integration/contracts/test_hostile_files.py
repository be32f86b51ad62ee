"""Hostile contract files: each gives its own message (file, key path, problem) and changes nothing.

The corpus is tests/hostile/contracts/, written by its generate.py: the design example with
one hostile change each, or a file that is not a contract at all. Every file goes through
``import_contracts`` as an operator would run it, some through the admin's import form.
"""

import importlib.util
import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from contracts.models import Contract, ContractImport, SelfBillingAgreement
from contracts.services import MAX_FILE_BYTES, contract_import_content
from tests.integration.contracts.test_import import snapshot

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parents[2] / "hostile" / "contracts"
TERMS = "terms[0].components"
AGREEMENT = "self_billing_agreement"

# The line each file must give after "<path>: ".
EXPECTED = {
    # numbers
    "amount-exponent-text.yaml": f"{TERMS}[0].amount: exponent notation is not accepted, got 1E+400",
    "amount-exponent-float.yaml": f"{TERMS}[0].amount: exponent notation is not accepted, got 1.0e+400",
    "amount-exponent.json": f"{TERMS}[0].amount: exponent notation is not accepted, got 1e400",
    "amount-5000-digits.yaml": f"{TERMS}[0].amount: has more than 40 characters; not a number this file can hold",
    "payment-terms-100000-digits.json": "payment_terms_days: has 100000 digits; at most 18 are read",
    "tax-rate-nan.json": "tax_rate: not a finite number: NaN",
    "price-infinity.yaml": f"{TERMS}[1].bands[1].price: not a finite number: .inf",
    "weight-boolean.yaml": f"{TERMS}[3].kpis[0].weight: expected a number, got true/false",
    "tax-rate-three-decimals.yaml": "tax_rate: has 3 decimal places; at most 2 are allowed, got 20.125",
    "cap-above-maximum.yaml": f"{TERMS}[2].cap: must be at most 1000000000, got 1000000000.01",
    "fee-hexadecimal.yaml": f"{TERMS}[2].fee: not a number: '0x1F'",
    "earn-back-months-1000.yaml": f"{TERMS}[4].earn_back_months: must be at most 24, got 1000",
    "int-tag-on-text.yaml": "payment_terms_days: expected a whole number, got thirty",
    # texts
    "vat-number-41-characters.yaml": "buyer.vat_number: is 41 characters long; at most 40 are allowed",
    "email-255-characters.yaml": "supplier.email: is 255 characters long; at most 254 are allowed",
    "email-not-an-address.yaml": "supplier.email: not a valid e-mail address: 'billing at northwind'",
    "reference-51-characters.yaml": "reference: is 51 characters long; at most 50 are allowed",
    "name-with-nul.json": "buyer.name: contains control character (U+0000), which is not allowed in text",
    "name-with-bidi-override.yaml": "supplier.name: contains right-to-left override (U+202E), which is not allowed in text",
    "title-with-escape.yaml": "title: contains control character (U+001B), which is not allowed in text",
    "component-id-51-characters.yaml": f"{TERMS}[0].id: expected an id of 1–50 letters, digits, - or _, got 'mmmm",
    "kpi-code-megabyte.yaml": f"{TERMS}[3].kpis[0].kpi: unknown KPI code 'xxxx",
    "invalid-date.yaml": "start: expected a date YYYY-MM-DD, got '2026-02-30'",
    # parsers and shapes
    "nested-5000-deep.yaml": "line 30, column 27: invalid YAML: nested deeper than 20 levels",
    "nested-5000-deep.json": "line 1: nested deeper than 20 levels: not a contract file",
    "billion-laughs.yaml": "line 34, column 8: invalid YAML: expands to more than 20000 values (through aliases or size)",
    "alias-to-itself.yaml": "line 30, column 14: invalid YAML: alias *loop refers to itself",
    "duplicate-key.yaml": "line 30, column 1: invalid YAML: duplicate key 'tax_rate'",
    "duplicate-key.json": "invalid JSON: duplicate key 'tax_rate'",
    "list-key.yaml": "line 30, column 3: invalid YAML: a key must be text, not a list or mapping",
    "top-level-list.yaml": "expected a mapping, got a list",
    "top-level-number.json": "expected a mapping, got 12345",
    "latin-1.yaml": "the file is not UTF-8 text (byte 147)",
    "binary.yaml": "line 1: a NUL character; this is not a text file",
    "too-many-bands.yaml": f"{TERMS}[1].bands: has 61 items; at most 50 are allowed",
    # the self-billing agreement
    "agreement-vat-41-characters.yaml": f"{AGREEMENT}.supplier_vat: is 41 characters long; at most 40 are allowed",
    "agreement-vat-with-nul.json": f"{AGREEMENT}.supplier_vat: contains control character (U+0000), which is not allowed in text",
    "agreement-vat-with-tab.yaml": f"{AGREEMENT}.supplier_vat: contains control character (U+0009), which is not allowed in text",
    "agreement-vat-list.yaml": f"{AGREEMENT}.supplier_vat: expected non-empty text, got a list",
    "agreement-vat-decimal.yaml": f"{AGREEMENT}.supplier_vat: expected non-empty text, got 1234.5",
    "agreement-vat-boolean.yaml": f"{AGREEMENT}.supplier_vat: expected non-empty text, got true/false",
    "agreement-vat-fails-its-check.yaml": f"{AGREEMENT}.supplier_vat: 'GB999999999' is not a UK VAT number",
    "agreement-a-list.yaml": f"{AGREEMENT}: expected a mapping, got a list",
    "agreement-a-number.json": f"{AGREEMENT}: expected a mapping, got 20260101",
    "agreement-month-13.yaml": f"{AGREEMENT}.end: expected a date YYYY-MM-DD, got '2026-13-01'",
    "agreement-date-time.yaml": f"{AGREEMENT}.start: expected a date YYYY-MM-DD, got datetime",
    "agreement-date-as-number.yaml": f"{AGREEMENT}.start: expected a date YYYY-MM-DD, got 20260101",
    "agreement-ends-before-it-starts.yaml": f"{AGREEMENT}.end: ends (2025-12-31) before it starts (2026-01-01)",
    "agreement-without-end.yaml": f"{AGREEMENT}.end: is required",
    "agreement-unknown-key.yaml": f"{AGREEMENT}.signed_by: unknown key (allowed: end, start, supplier_vat)",
    "agreement-not-self-billed.yaml": f"{AGREEMENT}: only a self-billed contract (self_billing: true) has a self-billing agreement",
    # kpi_sources
    "kpi-sources-unknown-kpi.yaml": "kpi_sources.first_call: unknown KPI code 'first_call'",
    "kpi-sources-not-a-party.yaml": "kpi_sources.csat: must be one of buyer, supplier, got 'procurement'",
    "kpi-sources-null-party.yaml": "kpi_sources.csat: must be one of buyer, supplier, got None",
    "kpi-sources-a-list.yaml": "kpi_sources: expected a mapping, got a list",
    "kpi-sources-a-number.json": "kpi_sources: expected a mapping, got 7",
    "kpi-sources-number-key.yaml": "kpi_sources.404: unknown KPI code 404",
    "kpi-sources-nul-in-key.json": "kpi_sources.'cs\\x00at': unknown KPI code 'cs\\x00at'",
    "kpi-sources-5000-entries.yaml": "kpi_sources: has 5000 entries; the KPI catalogue has",
    "thousand-unknown-keys.yaml": "… and 900 more problems",
}


def load_generator():
    spec = importlib.util.spec_from_file_location("hostile_generate", CORPUS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def existing_contract():
    """The contract every hostile file would change (its title), imported from the base file."""
    result = contract_import_content(file_name="base.yaml", content=load_generator().BASE.encode())
    assert result.status == "created"
    return Contract.objects.get(reference=result.reference)


def records() -> tuple[list, list]:
    """What an import writes besides the contract's rows: agreements and import records."""
    return (
        list(SelfBillingAgreement.objects.order_by("pk").values()),
        list(ContractImport.objects.order_by("pk").values_list("pk", flat=True)),
    )


def import_file(path: Path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_contracts", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().strip().splitlines()


def test_the_corpus_is_what_its_generator_writes_and_every_file_is_expected():
    files = load_generator().FILES
    assert sorted(files) == sorted(EXPECTED)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode()
        assert (CORPUS / name).read_bytes() == data, name
    assert len(EXPECTED) >= 15


def test_the_base_file_without_a_hostile_change_imports(existing_contract):
    assert existing_contract.title == "Hostile change"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_hostile_file_gives_its_message_and_changes_nothing(name, existing_contract):
    Contract.objects.filter(pk=existing_contract.pk).update(title="Before the hostile file")
    before = snapshot(), records()
    path = CORPUS / name
    lines = import_file(path)
    assert any(line.startswith(f"{path}: {EXPECTED[name]}") for line in lines), lines
    assert len(lines) <= 101  # the first 100 problems and a count of the rest
    assert all(len(line) < 400 for line in lines)  # a megabyte value is not repeated
    assert (snapshot(), records()) == before


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, existing_contract):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    before = snapshot()
    assert import_file(path) == [f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes"]
    assert snapshot() == before


def test_a_device_that_never_ends_is_read_only_up_to_the_limit(existing_contract):
    assert import_file(Path("/dev/zero")) == [f"/dev/zero: the file is larger than {MAX_FILE_BYTES:,} bytes"]


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "a-long-pass-phrase")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "amount-exponent.json",
        "payment-terms-100000-digits.json",
        "vat-number-41-characters.yaml",
        "email-255-characters.yaml",
        "name-with-nul.json",
        "nested-5000-deep.yaml",
        "nested-5000-deep.json",
        "billion-laughs.yaml",
        "binary.yaml",
        "agreement-vat-with-nul.json",
        "kpi-sources-nul-in-key.json",
    ],
)
def test_the_admin_import_form_shows_the_message_and_imports_nothing(
    name, superuser_client, existing_contract
):
    before = snapshot()
    upload = SimpleUploadedFile(name, (CORPUS / name).read_bytes())
    response = superuser_client.post(reverse("admin:contracts_contract_import"), {"file": upload})
    assert response.status_code == 200
    content = response.content.decode()
    escaped = EXPECTED[name].replace("'", "&#x27;")
    assert f"{name}: {escaped}" in content
    assert snapshot() == before


def test_the_admin_import_form_refuses_an_oversized_upload_before_reading_it(
    superuser_client, existing_contract
):
    before = snapshot()
    upload = SimpleUploadedFile("huge.json", b" " * (MAX_FILE_BYTES + 1))
    response = superuser_client.post(reverse("admin:contracts_contract_import"), {"file": upload})
    assert response.status_code == 200
    assert f"huge.json: the file is {MAX_FILE_BYTES + 1:,} bytes; the limit is {MAX_FILE_BYTES:,}" in (
        response.content.decode()
    )
    assert snapshot() == before


def test_component_params_from_the_admin_are_read_like_a_json_file():
    from contracts.forms import DecimalJSONDecoder

    decoded = json.loads('{"amount": 1e400, "fee": 2.50, "n": ' + "9" * 5000 + "}", cls=DecimalJSONDecoder)
    assert decoded["amount"] == "1e400" and str(decoded["fee"]) == "2.50" and len(decoded["n"]) == 5000
    with pytest.raises(json.JSONDecodeError, match="nested deeper than 20 levels"):
        json.loads("[" * 5000 + "]" * 5000, cls=DecimalJSONDecoder)
