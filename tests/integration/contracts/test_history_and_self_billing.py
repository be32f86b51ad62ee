"""The history of terms and parties, self-billing agreements at issue, VAT numbers checked."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.errors import BillingError
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract, Membership, Organisation, SelfBillingAgreement
from pricing.period import Period
from tests.integration.billing.conftest import CONTRACT, load_contract, load_kpis, month

pytestmark = pytest.mark.django_db


def contract_text(changes: dict | None = None) -> str:
    text = CONTRACT.format(
        reference="ACME-H-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    for old, new in (changes or {}).items():
        text = text.replace(old, new)
    return text


def procurement(contract) -> Client:
    user = User.objects.create_user("proc", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    client = Client()
    client.force_login(user)
    return client


def test_an_import_records_its_author_and_the_history_page_shows_the_change(tmp_path):
    importer = User.objects.create_user("importer")
    path = tmp_path / "acme.yaml"
    path.write_text(contract_text())
    call_command("import_contracts", str(path), "--user", "importer", stdout=None)
    path.write_text(contract_text({"title: Test care": "title: Test care renewed"}))
    call_command("import_contracts", str(path), "--user", "importer", stdout=None)
    contract = Contract.objects.get(reference="ACME-H-001")
    latest, first = contract.history.order_by("-history_date")[:2]
    assert latest.history_user == importer and first.history_user == importer
    assert [c.field for c in latest.diff_against(first).changes] == ["title"]
    assert contract.versions.get().components.first().history.get().history_user == importer
    page = procurement(contract).get(reverse("admin:contracts_contract_history", args=[contract.pk]))
    assert page.status_code == 200
    assert b"Test care renewed" in page.content and b"importer" in page.content


def test_import_contracts_refuses_an_unknown_user(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(contract_text())
    with pytest.raises(CommandError, match="--user: no active user 'nobody'"):
        call_command("import_contracts", str(path), "--user", "nobody")
    assert not Contract.objects.exists()


def test_an_admin_change_is_authored_by_the_request_user():
    contract = load_contract()
    client = procurement(contract)
    supplier = contract.supplier
    data = {"name": supplier.name, "code": supplier.code, "country": "GB", "vat_number": "GB123456782"}
    response = client.post(reverse("admin:contracts_organisation_change", args=[supplier.pk]), data)
    assert response.status_code == 302
    assert supplier.history.latest().history_user.username == "proc"


def test_a_vat_number_is_checked_for_the_country_in_the_admin_and_in_a_file(tmp_path):
    contract = load_contract()
    client = procurement(contract)
    data = {"name": "Gamma CX Ltd", "code": "GAMMA", "country": "GB", "vat_number": "GB123456789"}
    response = client.post(reverse("admin:contracts_organisation_add"), data)
    assert response.status_code == 200 and "vat_number" in response.context["adminform"].form.errors
    assert not Organisation.objects.filter(code="GAMMA").exists()
    path = tmp_path / "bad.yaml"
    path.write_text(
        contract_text(
            {"Northwind CX Ltd, country: GB}": "Northwind CX Ltd, country: GB, vat_number: GB999999999}"}
        )
    )
    with pytest.raises(CommandError):
        call_command("import_contracts", str(path), stderr=(errors := StringIO()))
    assert "supplier.vat_number: 'GB999999999' is not a UK VAT number" in errors.getvalue()
    assert not Contract.objects.filter(reference="ACME-H-001").exists()


def approved_january(contract):
    load_kpis(month(contract.reference, "2026-01", 1400, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse("2026-01"))
    return statement_approve(statement_id=draft.pk)


def test_a_self_billed_statement_is_issued_only_under_an_agreement_with_the_agreed_vat_number():
    contract = load_contract()
    statement = approved_january(contract)
    with pytest.raises(BillingError, match="no self-billing agreement with the supplier covers 2029-01-05"):
        statement_issue(statement_id=statement.pk, issue_date=date(2029, 1, 5))
    supplier = contract.supplier
    supplier.vat_number = "GB123456782"
    supplier.save()
    with pytest.raises(BillingError, match="supplier's VAT number changed since the self-billing agreement"):
        statement_issue(statement_id=statement.pk, issue_date=date(2026, 2, 3))
    SelfBillingAgreement.objects.create(
        contract=contract,
        start_date=date(2026, 2, 1),
        end_date=date(2027, 1, 31),
        supplier_vat_number="GB123456782",
    )
    issued = statement_issue(statement_id=statement.pk, issue_date=date(2026, 2, 3))
    assert issued.status == "issued" and issued.number


def test_an_agreement_is_recorded_in_the_admin_and_the_expiring_ones_are_listed():
    contract = load_contract()
    client = procurement(contract)
    today = timezone.localdate()
    add = reverse("admin:contracts_selfbillingagreement_add")
    data = {"contract": contract.pk, "start_date": today, "end_date": today - timedelta(days=1)}
    response = client.post(add, data)
    assert response.status_code == 200 and "end_date" in response.context["adminform"].form.errors
    data["end_date"] = today + timedelta(days=30)
    assert client.post(add, data).status_code == 302
    recorded = SelfBillingAgreement.objects.get(end_date=data["end_date"])
    assert recorded.recorded_by.username == "proc"
    listing = client.get(reverse("admin:contracts_selfbillingagreement_changelist"), {"expiring": "60"})
    assert [a.pk for a in listing.context["cl"].queryset] == [recorded.pk]


def test_a_file_carries_its_agreement_once_and_exports_it(tmp_path):
    contract = load_contract()
    assert contract.self_billing_agreements.count() == 1
    load_contract()
    assert contract.self_billing_agreements.count() == 1
    from contracts.services import contract_export

    assert "self_billing_agreement:" in contract_export(contract=contract)
    path = tmp_path / "not-self-billed.yaml"
    path.write_text(contract_text({"self_billing: true": "self_billing: false"}))
    with pytest.raises(CommandError):
        call_command("import_contracts", str(path), stderr=(errors := StringIO()))
    assert "self_billing_agreement: only a self-billed contract" in errors.getvalue()
