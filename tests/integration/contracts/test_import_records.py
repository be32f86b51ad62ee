"""Every successful contract-file import is recorded: the file's SHA-256, who imported it, when,
and what it changed; procurement reads the record of its own buyer's contracts only."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from contracts.models import Contract, ContractImport, Membership
from tests.integration.billing.conftest import CONTRACT, load_contract
from tests.integration.contracts.test_history_and_self_billing import contract_text

pytestmark = pytest.mark.django_db


def procurement_client(contract, username: str) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    client = Client()
    client.force_login(user)
    return client


def run_import(path, *options) -> str:
    out = StringIO()
    call_command("import_contracts", str(path), *options, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_each_import_is_recorded_with_its_hash_author_and_changes_unchanged_included(tmp_path):
    importer = User.objects.create_user("importer")
    path = tmp_path / "acme.yaml"
    first, second = contract_text(), contract_text({"title: Test care": "title: Test care renewed"})
    path.write_text(first)
    out = run_import(path, "--user", "importer")
    digest = hashlib.sha256(first.encode()).hexdigest()
    assert out == f"{path}: ACME-H-001 created [sha256 {digest[:12]}]\n"
    path.write_text(second)
    run_import(path)  # no --user: recorded as nobody's
    run_import(path, "--user", "importer")
    contract = Contract.objects.get(reference="ACME-H-001")
    records = list(contract.imports.order_by("pk"))
    assert [(r.status, r.imported_by, r.sha256) for r in records] == [
        ("created", importer, digest),
        ("updated", None, hashlib.sha256(second.encode()).hexdigest()),
        ("unchanged", importer, hashlib.sha256(second.encode()).hexdigest()),
    ]
    assert records[0].changes[:3] == [
        "organisation Acme Telecom plc created",
        "organisation Northwind CX Ltd created",
        "contract created",
    ]
    assert records[1].changes == ["contract details updated"] and records[2].changes == []
    assert all(r.file_name == str(path) and r.reference == "ACME-H-001" for r in records)
    assert records[0].imported_at <= records[1].imported_at <= records[2].imported_at


def test_a_refused_file_is_not_recorded(tmp_path):
    load_contract("ACME-H-001")
    before = list(ContractImport.objects.values_list("pk", flat=True))
    path = tmp_path / "bad.yaml"
    path.write_text(contract_text({'tax_rate: "20"': 'tax_rate: "200"'}))
    with pytest.raises(CommandError, match="1 of 1 file"):
        run_import(path)
    assert list(ContractImport.objects.values_list("pk", flat=True)) == before


def test_a_long_file_name_keeps_its_last_255_characters(tmp_path):
    from contracts.services import contract_import_content

    name = "d" * 300 + "/acme.yaml"
    contract_import_content(file_name=name, content=contract_text().encode())
    record = ContractImport.objects.get()
    assert record.file_name == name[-255:] and record.file_name.endswith("/acme.yaml")


def test_a_record_is_never_changed_or_deleted(tmp_path):
    contract = load_contract()
    record = contract.imports.get()
    record.status = "updated"
    with pytest.raises(ContractImport.AppendOnlyError):
        record.save()
    with pytest.raises(ContractImport.AppendOnlyError):
        record.delete()
    with pytest.raises(ContractImport.AppendOnlyError):
        ContractImport.objects.filter(pk=record.pk).update(status="updated")
    with pytest.raises(ContractImport.AppendOnlyError):
        ContractImport.objects.filter(pk=record.pk).delete()
    assert ContractImport.objects.get(pk=record.pk).status == "created"


def test_the_admin_import_records_the_user_and_the_list_is_read_only_and_scoped():
    a = load_contract("ACME-001", "Alpha CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc")
    b = load_contract("GLOBEX-001", "Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    client = procurement_client(a, "proc-acme")
    content = CONTRACT.format(
        reference="ACME-001", supplier="Alpha CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    ).replace("title: Test care", "title: Test care renewed")
    upload = SimpleUploadedFile("acme-v2.yaml", content.encode())
    response = client.post(reverse("admin:contracts_contract_import"), {"file": upload})
    assert response.status_code == 302
    record = a.imports.latest("pk")
    assert (record.imported_by.username, record.status, record.file_name) == (
        "proc-acme",
        "updated",
        "acme-v2.yaml",
    )
    assert record.sha256 == hashlib.sha256(content.encode()).hexdigest()

    changelist = reverse("admin:contracts_contractimport_changelist")
    response = client.get(changelist)
    assert response.status_code == 200
    assert {r.pk for r in response.context["cl"].queryset} == set(a.imports.values_list("pk", flat=True))
    assert b"GLOBEX" not in response.content
    # Filter by status, search by reference or a SHA-256 prefix.
    response = client.get(changelist, {"status__exact": "updated"})
    assert [r.pk for r in response.context["cl"].queryset] == [record.pk]
    response = client.get(changelist, {"q": record.sha256[:12]})
    assert [r.pk for r in response.context["cl"].queryset] == [record.pk]
    response = client.get(changelist, {"q": b.imports.get().sha256[:12]})
    assert list(response.context["cl"].queryset) == []
    # Its own record is shown read-only; another buyer's is not found; nothing can be added.
    page = client.get(reverse("admin:contracts_contractimport_change", args=[record.pk]))
    assert page.status_code == 200 and b"contract details updated" in page.content
    assert b'name="_save"' not in page.content
    other = client.get(reverse("admin:contracts_contractimport_change", args=[b.imports.get().pk]))
    assert other.status_code == 302 and other.url == reverse("admin:index")  # Django's "does not exist"
    assert client.get(reverse("admin:contracts_contractimport_add")).status_code == 403
    post = client.post(reverse("admin:contracts_contractimport_delete", args=[record.pk]), {"post": "yes"})
    assert post.status_code == 403 and ContractImport.objects.filter(pk=record.pk).exists()


def test_the_contract_page_links_to_its_imports():
    contract = load_contract("ACME-001")
    client = procurement_client(contract, "proc-acme")
    page = client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    link = f"{reverse('admin:contracts_contractimport_changelist')}?contract__id__exact={contract.pk}"
    assert link.encode() in page.content
    listing = client.get(link)
    assert listing.status_code == 200
    assert [r.pk for r in listing.context["cl"].queryset] == list(
        contract.imports.values_list("pk", flat=True)
    )


def test_procurement_may_view_imports_but_not_change_them():
    group = Group.objects.get(name="Procurement")
    codenames = set(
        group.permissions.filter(content_type__model="contractimport").values_list("codename", flat=True)
    )
    assert codenames == {"view_contractimport"}


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "--user: no active user 'nobody'"),
        ("nobody\x00", "--user: no active user 'nobody\\x00'"),
        ("u" * 151, "--user: a username has at most 150 characters"),
    ],
)
def test_an_unknown_or_malformed_user_is_refused_before_anything_is_imported(tmp_path, username, message):
    path = tmp_path / "acme.yaml"
    path.write_text(contract_text())
    with pytest.raises(CommandError) as refused:
        run_import(path, "--user", username)
    assert str(refused.value) == message
    assert not Contract.objects.filter(reference="ACME-H-001").exists()
    assert not ContractImport.objects.exists()
