"""A self-billing agreement is recorded once, however many imports of its file run at once: the
database refuses a second copy, and an import that loses the race reports ``unchanged``."""

import threading
import time
from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from contracts import services
from contracts.models import Contract, ContractImport, SelfBillingAgreement
from contracts.schema import ContractFileError
from contracts.services import contract_import_content
from tests.integration.billing.conftest import load_contract
from tests.integration.contracts.test_history_and_self_billing import contract_text
from tests.integration.contracts.test_import_records import procurement_client

NEW_AGREEMENT = {
    "self_billing_agreement: {start: 2026-01-01, end: 2028-12-31}": (
        "self_billing_agreement: {start: 2029-01-01, end: 2029-12-31}"
    )
}


@pytest.mark.django_db
def test_the_database_keeps_one_copy_of_an_agreement():
    contract = load_contract()
    agreement = contract.self_billing_agreements.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SelfBillingAgreement.objects.create(
            contract=contract,
            start_date=agreement.start_date,
            end_date=agreement.end_date,
            supplier_vat_number=agreement.supplier_vat_number,
        )


@pytest.mark.django_db
def test_an_agreement_recorded_between_the_check_and_the_insert_is_found_not_raised():
    """The insert meets the constraint (another writer committed the same agreement after the
    import looked), and the import reports nothing to record instead of failing."""
    contract = load_contract()
    content = contract_text(NEW_AGREEMENT).replace("ACME-H-001", contract.reference).encode()
    SelfBillingAgreement.objects.create(
        contract=contract, start_date=date(2029, 1, 1), end_date=date(2029, 12, 31), supplier_vat_number=""
    )
    with mock.patch("contracts.services._agreement_recorded", side_effect=[False, True]) as looked:
        result = contract_import_content(file_name="again.yaml", content=content)
    assert looked.call_count == 2
    assert (result.status, result.changes) == ("unchanged", ())
    assert contract.self_billing_agreements.filter(start_date=date(2029, 1, 1)).count() == 1


@pytest.mark.django_db
def test_an_admin_user_recording_an_agreement_twice_is_told_on_the_form():
    contract = load_contract()
    client = procurement_client(contract, "proc")
    agreement = contract.self_billing_agreements.get()
    data = {"contract": contract.pk, "start_date": agreement.start_date, "end_date": agreement.end_date}
    response = client.post(reverse("admin:contracts_selfbillingagreement_add"), data)
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert contract.self_billing_agreements.count() == 1


def in_parallel(*calls):
    """Run each call in its own thread (and database connection), started together; returns
    their results or exceptions in order."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            start.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # returned to the test, which asserts on it
            results[index] = error
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def applying_then_holding(applied: threading.Event, calls: list):
    """``services._apply`` patched: the first call applies, sets ``applied`` and then holds its
    transaction open until another connection waits for a lock (10 s at most); later calls
    apply. ``calls`` gets one entry per call."""
    real_apply = services._apply

    def apply(*args, **kwargs):
        calls.append(threading.get_ident())
        result = real_apply(*args, **kwargs)
        if not applied.is_set():
            applied.set()
            deadline = time.monotonic() + 10
            while not waiting_for_a_lock() and time.monotonic() < deadline:
                time.sleep(0.02)
        return result

    return mock.patch("contracts.services._apply", side_effect=apply)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_two_first_imports_of_one_file_at_once_create_it_once_and_the_loser_reports_unchanged():
    """The first import holds its transaction open until the second waits on a row it wrote
    (the new parties' unique names), so the second meets the constraint, is tried again and
    finds the first's contract, agreement and all."""
    content = contract_text().encode()
    calls = []
    first = threading.Event()

    def importer():
        return contract_import_content(file_name="acme.yaml", content=content)

    def second_importer():
        first.wait(timeout=10)
        return importer()

    with applying_then_holding(first, calls):
        results = in_parallel(importer, second_importer)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.status for r in results) == ["created", "unchanged"]
    assert len(calls) == 3  # the loser was tried again
    contract = Contract.objects.get(reference="ACME-H-001")
    assert contract.self_billing_agreements.count() == 1
    assert sorted(contract.imports.values_list("status", flat=True)) == ["created", "unchanged"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_imports_adding_the_same_agreement_at_once_record_it_once():
    contract_import_content(file_name="acme.yaml", content=contract_text().encode())
    content = contract_text(NEW_AGREEMENT).encode()
    results = in_parallel(
        *[lambda: contract_import_content(file_name="acme-2029.yaml", content=content) for _ in range(4)]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.status for r in results) == ["unchanged", "unchanged", "unchanged", "updated"]
    contract = Contract.objects.get(reference="ACME-H-001")
    assert contract.self_billing_agreements.filter(start_date=date(2029, 1, 1)).count() == 1
    assert ContractImport.objects.filter(contract=contract, file_name="acme-2029.yaml").count() == 4


@pytest.mark.django_db
def test_a_conflict_that_remains_after_the_retry_is_a_file_error_not_an_integrity_error():
    content = contract_text().encode()
    with (
        mock.patch("contracts.services._apply", side_effect=IntegrityError("duplicate key value")) as applied,
        pytest.raises(
            ContractFileError, match=r"acme\.yaml: conflicts with existing data: duplicate key value"
        ),
    ):
        contract_import_content(file_name="acme.yaml", content=content)
    assert applied.call_count == services.IMPORT_ATTEMPTS
    assert not Contract.objects.filter(reference="ACME-H-001").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_an_admin_user_recording_the_agreement_an_import_is_recording_is_told_on_the_form():
    """The import holds the contract's row until the admin's form waits for it; the form then
    finds the agreement the import recorded and says so (no server error, one agreement)."""
    contract_import_content(file_name="acme.yaml", content=contract_text().encode())
    contract = Contract.objects.get(reference="ACME-H-001")
    # A transactional test empties the tables, the Procurement group with them (permissions
    # are made again): the group as migration 0005 leaves it, for agreements.
    group, _ = Group.objects.get_or_create(name="Procurement")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="contracts",
            codename__in=["add_selfbillingagreement", "view_selfbillingagreement"],
        )
    )
    client = procurement_client(contract, "proc")
    content = contract_text(NEW_AGREEMENT).encode()
    applied = threading.Event()

    def admin_user():
        applied.wait(timeout=10)
        data = {"contract": contract.pk, "start_date": "2029-01-01", "end_date": "2029-12-31"}
        return client.post(reverse("admin:contracts_selfbillingagreement_add"), data)

    with applying_then_holding(applied, []):
        imported, response = in_parallel(
            lambda: contract_import_content(file_name="acme-2029.yaml", content=content), admin_user
        )
    assert imported.status == "updated", imported
    assert response.status_code == 200, response
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert contract.self_billing_agreements.filter(start_date=date(2029, 1, 1)).count() == 1
