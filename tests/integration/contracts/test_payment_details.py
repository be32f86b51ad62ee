"""Payment details, company numbers and the buyer reference: in a contract file (validated,
stored compact, exported and imported again unchanged) and on the admin's organisation page."""

import pytest
from django.urls import reverse

from contracts.models import Contract, Organisation
from contracts.schema import ContractFileError
from contracts.services import contract_export, contract_import_content
from tests.integration.contracts.test_history_and_self_billing import contract_text

pytestmark = pytest.mark.django_db

SUPPLIER = "supplier: {name: Northwind CX Ltd, country: GB}"
PAYEE = (
    "supplier: {name: Northwind CX Ltd, country: GB, iban: GB82 WEST 1234 5698 7654 32, bic: NWBKGB2L, "
    "sort_code: '12-34-56', account_number: '55555555', registration_number: '01234567', "
    "remittance_email: pay@northwind.example}"
)


def import_text(text: str, name: str = "acme.yaml"):
    return contract_import_content(file_name=name, content=text.encode())


def with_payee(supplier: str = PAYEE, reference: str | None = "buyer_reference: PO-4500012345") -> str:
    changes = {SUPPLIER: supplier}
    if reference is not None:
        changes["payment_terms_days: 30\n"] = f"payment_terms_days: 30\n{reference}\n"
    return contract_text(changes)


def test_payment_details_and_the_buyer_reference_are_stored_compact_and_round_trip():
    assert import_text(with_payee()).status == "created"
    supplier = Organisation.objects.get(name="Northwind CX Ltd")
    assert (supplier.iban, supplier.bic, supplier.sort_code, supplier.account_number) == (
        "GB82WEST12345698765432",
        "NWBKGB2L",
        "123456",
        "55555555",
    )
    assert (supplier.registration_number, supplier.remittance_email) == ("01234567", "pay@northwind.example")
    contract = Contract.objects.get(reference="ACME-H-001")
    assert contract.buyer_reference == "PO-4500012345"
    exported = contract_export(contract=contract)
    assert "buyer_reference: PO-4500012345\n" in exported and "iban: GB82WEST12345698765432\n" in exported
    assert import_text(exported, "exported.yaml").status == "unchanged"


@pytest.mark.parametrize(
    ("supplier", "reference", "path"),
    [
        (PAYEE.replace("7654 32", "7654 33"), None, "supplier.iban"),
        (PAYEE.replace("NWBKGB2L", "NWBK"), None, "supplier.bic"),
        (PAYEE.replace("'12-34-56'", "'12-34'"), None, "supplier.sort_code"),
        (PAYEE.replace("'55555555'", "'5555'"), None, "supplier.account_number"),
        (PAYEE.replace("'55555555'", "55555555"), None, "supplier.account_number"),  # a number, not text
        (PAYEE.replace(", account_number: '55555555'", ""), None, "supplier.account_number"),  # one alone
        (PAYEE.replace("'01234567'", "'0123'"), None, "supplier.registration_number"),
        (PAYEE.replace("pay@northwind.example", "not-an-address"), None, "supplier.remittance_email"),
        (PAYEE.replace("}", ", swift: NWBKGB2L}"), None, "supplier.swift"),  # an unknown key
        (PAYEE, "buyer_reference: " + "P" * 41, "buyer_reference"),
        (PAYEE, 'buyer_reference: "PO\\n42"', "buyer_reference"),
        (PAYEE, "buyer_reference: [PO]", "buyer_reference"),
    ],
)
def test_a_bad_payment_detail_or_reference_refuses_the_file_naming_its_key(supplier, reference, path):
    with pytest.raises(ContractFileError) as refused:
        import_text(with_payee(supplier, reference))
    assert path in {error.path for error in refused.value.errors}, refused.value.errors
    assert not Contract.objects.exists() and not Organisation.objects.exists()


def test_a_buyer_reference_of_digits_is_kept_as_written():
    assert import_text(with_payee(reference="buyer_reference: 4500012345")).status == "created"
    assert Contract.objects.get().buyer_reference == "4500012345"


def organisation_form(organisation: Organisation, **changes) -> dict:
    data = {
        field: getattr(organisation, field)
        for field in ("name", "code", "country", "vat_number", "address", "email")
    }
    data.update(iban="", bic="", sort_code="", account_number="", registration_number="", remittance_email="")
    data.update(changes)
    return data


def test_the_admin_checks_and_compacts_payment_details(admin_client):
    import_text(with_payee(SUPPLIER, None))
    supplier = Organisation.objects.get(name="Northwind CX Ltd")
    url = reverse("admin:contracts_organisation_change", args=[supplier.pk])
    bad = organisation_form(
        supplier, iban="GB82WEST12345698765433", sort_code="12-34-56", registration_number="ABC"
    )
    response = admin_client.post(url, bad)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"iban", "account_number", "registration_number"}, errors
    supplier.refresh_from_db()
    assert supplier.iban == ""  # nothing changed
    good = organisation_form(
        supplier,
        iban="gb82 west 1234 5698 7654 32",
        bic="nwbkgb2l",
        sort_code="12-34-56",
        account_number="55555555",
        registration_number="sc123456",
        remittance_email="pay@northwind.example",
    )
    assert admin_client.post(url, good).status_code == 302
    supplier.refresh_from_db()
    assert (supplier.iban, supplier.bic, supplier.sort_code, supplier.registration_number) == (
        "GB82WEST12345698765432",
        "NWBKGB2L",
        "123456",
        "SC123456",
    )


def test_the_admin_refuses_a_buyer_reference_with_a_control_character(admin_client):
    import_text(with_payee(SUPPLIER, None))
    contract = Contract.objects.get()
    page = admin_client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    assert b'name="buyer_reference"' in page.content
    from django.core.exceptions import ValidationError

    from contracts.payment import validate_buyer_reference

    with pytest.raises(ValidationError):
        validate_buyer_reference("PO\x0742")
    contract.buyer_reference = "PO\x0742"
    with pytest.raises(ValidationError) as refused:
        contract.full_clean()
    assert "buyer_reference" in refused.value.message_dict
