"""Who changed a component's parameters, when, from what to what: a terms version's History page
lists its components' changes, made by contract files or on the version's page."""

import html
import json
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from contracts.models import Component, Contract, TermsVersion
from tests.integration.billing.conftest import load_contract
from tests.integration.contracts.test_admin import component_formset
from tests.integration.contracts.test_history_and_self_billing import contract_text
from tests.integration.contracts.test_import_records import procurement_client

pytestmark = pytest.mark.django_db


def import_as(tmp_path, username: str, changes: dict | None = None) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(contract_text(changes))
    call_command("import_contracts", str(path), "--user", username, stdout=StringIO())


def rows(page) -> list[list[str]]:
    """The component history table's rows as cell texts (tags dropped, spaces collapsed,
    entities read)."""
    table = page.content.decode().split('id="component_change_history"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [
            html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_a_file_import_changes_the_component_in_place_and_the_history_page_shows_the_diff(tmp_path):
    User.objects.create_user("alice")
    User.objects.create_user("bob")
    import_as(tmp_path, "alice")
    contract = Contract.objects.get(reference="ACME-H-001")
    version = contract.versions.get()
    mgmt = version.components.get(component_id="mgmt")
    import_as(tmp_path, "bob", {'amount: "10000.00"': 'amount: "12500.00"'})
    # The same row, its history continued: an auditor follows one component.
    assert version.components.get(component_id="mgmt").pk == mgmt.pk
    latest = mgmt.history.latest()
    assert latest.history_user.username == "bob" and latest.history_type == "~"
    assert [(c.field, c.old, c.new) for c in latest.diff_against(latest.prev_record).changes] == [
        ("params", {"amount": "10000.00"}, {"amount": "12500.00"})
    ]
    client = procurement_client(contract, "proc")
    page = client.get(reverse("admin:contracts_termsversion_history", args=[version.pk]))
    assert page.status_code == 200
    table = rows(page)
    assert table[0][1:] == ["bob", "mgmt", "changed", "params.amount", "10000.00", "12500.00"]
    assert {(row[1], row[2], row[3]) for row in table if len(row) == 7 and row[1]} >= {
        ("alice", "mgmt", "added"),
        ("alice", "voice", "added"),
        ("alice", "sla", "added"),
    }


def test_a_change_on_the_version_page_and_a_removal_are_listed_with_their_authors(tmp_path):
    User.objects.create_user("alice")
    import_as(tmp_path, "alice")
    contract = Contract.objects.get(reference="ACME-H-001")
    version = contract.versions.get()
    client = procurement_client(contract, "proc")
    mgmt = version.components.get(component_id="mgmt")
    data = component_formset(version, mgmt, {"amount": "11000.00"})
    response = client.post(reverse("admin:contracts_termsversion_change", args=[version.pk]), data)
    assert response.status_code == 302
    # The file without the sla component: it is removed.
    sla = '      - id: sla\n        type: service_credit\n        at_risk_percent: "10"\n        earn_back_months: 1\n        kpis:\n          - {kpi: service_level, target: "80", credit_percent: "5"}\n'
    assert sla in contract_text()
    import_as(tmp_path, "alice", {sla: "", 'amount: "10000.00"': 'amount: "11000.00"'})
    assert not version.components.filter(component_id="sla").exists()
    table = rows(client.get(reverse("admin:contracts_termsversion_history", args=[version.pk])))
    assert table[0][1:4] == ["alice", "sla", "removed"]
    assert table[1][1:] == ["proc", "mgmt", "changed", "params.amount", "10000.00", "11000.00"]


def test_components_replaced_by_an_older_import_read_as_one_component_added_again(tmp_path):
    # Imports before migration 0007 replaced a version's components by new rows.
    contract = load_contract("ACME-H-001")
    version = contract.versions.get()
    mgmt = version.components.get(component_id="mgmt")
    mgmt.delete()
    Component.objects.create(
        version=version, position=0, component_id="mgmt", type="fixed_fee", params={"amount": "7.00"}
    )
    client = procurement_client(contract, "proc")
    table = rows(client.get(reverse("admin:contracts_termsversion_history", args=[version.pk])))
    assert table[0][2:] == ["mgmt", "added again", "params.amount", "10000.00", "7.00"]
    assert table[1][2:4] == ["mgmt", "removed"]


def test_another_buyers_version_history_is_not_found():
    a = load_contract("ACME-001", "Alpha CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc")
    b = load_contract("GLOBEX-001", "Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    client = procurement_client(a, "proc")
    b_version = b.versions.get()
    response = client.get(reverse("admin:contracts_termsversion_history", args=[b_version.pk]))
    assert response.status_code == 404
    assert b"Beta" not in response.content and b"GLOBEX" not in response.content
    for bad in ("999999", "x", "1e5"):
        assert client.get(f"/admin/contracts/termsversion/{bad}/history/").status_code == 404


def test_a_long_parameter_is_shown_cut_with_its_length(tmp_path):
    contract = load_contract("ACME-H-001")
    version = TermsVersion.objects.get(contract=contract)
    voice = version.components.get(component_id="voice")
    voice.params = {**voice.params, "bands": [{"up_to": str(n), "price": "1.00"} for n in range(1, 400)]}
    voice.save()
    client = procurement_client(contract, "proc")
    page = client.get(reverse("admin:contracts_termsversion_history", args=[version.pk]))
    after = rows(page)[0][6]
    length = len(json.dumps(voice.params["bands"], ensure_ascii=False))
    assert after.endswith(f"… ({length} characters)") and len(after) < 4100


def test_a_superuser_asking_for_a_malformed_or_missing_history_gets_a_404(admin_client):
    for model in ("termsversion", "contract", "organisation"):
        for bad in ("x", "1e5", "999999", "-1"):
            response = admin_client.get(f"/admin/contracts/{model}/{bad}/history/")
            assert response.status_code == 404, (model, bad)
