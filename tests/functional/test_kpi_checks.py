"""A contract's consistency rules (``kpi_checks``), end to end: imported and exported unchanged,
a warning in a KPI upload's dry run (admin and command line), a flag on the month's draft."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract
from contracts.services import contract_export, contract_import_content
from kpis.models import KpiBatch
from pricing.period import Period
from tests.functional.conftest import RULES, contract_text
from tests.integration.billing.conftest import HEADER, load_kpis

pytestmark = pytest.mark.django_db
MARCH = Period(2026, 3)
WARNING = (
    "ACME-T-001 2026-03: contacts_total 31,673 is not contacts_voice + contacts_chat 30,862 "
    "(2.6 % apart; tolerance 1 %)"
)
# Voice and chat add up to 30,862; the total says 31,673.
MISMATCHED = (
    "ACME-T-001,2026-03,,contacts_voice,24000,,,voice,\n"
    "ACME-T-001,2026-03,,contacts_chat,6862,,,chat,\n"
    "ACME-T-001,2026-03,,contacts_total,31673,,,,\n"
    "ACME-T-001,2026-03,,service_level,,80,100,voice,\n"
)


@pytest.fixture
def contract(checked_contract):
    return checked_contract


@pytest.fixture
def procurement(acme_procurement):
    return acme_procurement


# --- the contract file ------------------------------------------------------------------------


def test_the_rules_are_stored_exported_and_imported_back_unchanged(contract):
    assert contract.kpi_checks == [
        {
            "kpi": "contacts_total",
            "equals_sum_of": ["contacts_voice", "contacts_chat"],
            "tolerance_percent": "1",
        },
        {"kpi": "service_level", "min": "50"},
    ]
    for fmt in ("yaml", "json"):
        exported = contract_export(contract=contract, fmt=fmt)
        assert "kpi_checks" in exported
        result = contract_import_content(file_name=f"again.{fmt}", content=exported.encode())
        assert result.status == "unchanged", result.changes
    assert Contract.objects.get(pk=contract.pk).kpi_checks == contract.kpi_checks


def test_changing_the_rules_updates_the_contract_and_keeps_its_history(contract):
    changed = contract_text(RULES.replace('min: "50"', 'min: "60"'))
    result = contract_import_content(file_name="acme.yaml", content=changed.encode())
    assert result.status == "updated" and "contract details updated" in result.changes
    contract.refresh_from_db()
    assert contract.kpi_checks[1] == {"kpi": "service_level", "min": "60"}
    history = [h.kpi_checks[1]["min"] for h in contract.history.order_by("history_id")]
    assert history == ["50", "60"]
    # Without the key, the contract has no rules any more (the file says all there is).
    contract_import_content(file_name="acme.yaml", content=contract_text("").encode())
    contract.refresh_from_db()
    assert contract.kpi_checks == []
    assert "kpi_checks" not in contract_export(contract=contract)


def test_a_file_with_a_bad_rule_changes_nothing(contract):
    from contracts.schema import ContractFileError

    bad = contract_text(RULES.replace("contacts_chat]", "foo]"))
    with pytest.raises(ContractFileError) as caught:
        contract_import_content(file_name="acme.yaml", content=bad.encode())
    assert "acme.yaml: kpi_checks[0].equals_sum_of[1]: unknown KPI 'foo'" in caught.value.lines()
    contract.refresh_from_db()
    assert contract.kpi_checks[1]["min"] == "50"


# --- the dry run ------------------------------------------------------------------------------


def test_the_admin_dry_run_shows_each_failed_rule_as_a_warning(client, procurement):
    client.force_login(procurement)
    upload = SimpleUploadedFile("march.csv", (HEADER + MISMATCHED).encode())
    response = client.post(reverse("admin:kpis_kpibatch_upload"), {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="kpi-check-warnings"' in content
    assert f'<li class="warning">{WARNING}</li>' in content
    assert not KpiBatch.objects.filter(file_name="march.csv").exists()


def test_a_dry_run_whose_figures_add_up_shows_no_warning(client, procurement):
    client.force_login(procurement)
    fixed = MISMATCHED.replace("31673", "30862")
    upload = SimpleUploadedFile("march.csv", (HEADER + fixed).encode())
    response = client.post(reverse("admin:kpis_kpibatch_upload"), {"file": upload, "dry_run": "on"})
    assert response.status_code == 200 and b"Dry run:" in response.content
    assert b"kpi-check-warnings" not in response.content


def test_a_rule_is_checked_on_the_month_as_it_would_be_after_the_file(contract, tmp_path):
    """The total already stored, the file brings voice and chat: the month does not add up."""
    load_kpis("ACME-T-001,2026-03,,contacts_total,31673,,,,\n")
    path = tmp_path / "voice-chat.csv"
    path.write_text(HEADER + MISMATCHED.split("ACME-T-001,2026-03,,contacts_total")[0])
    out = StringIO()
    call_command("ingest_kpis", str(path), "--dry-run", stdout=out)
    assert f"  warning: {WARNING}\n" in out.getvalue()
    assert "rows would be ingested (dry run, nothing written)" in out.getvalue()


def test_the_command_line_dry_run_prints_each_failed_rule(contract, tmp_path):
    path = tmp_path / "march.csv"
    path.write_text(HEADER + MISMATCHED.replace(",,80,100,", ",,40,100,"))
    out = StringIO()
    call_command("ingest_kpis", str(path), "--dry-run", stdout=out)
    warnings = [line for line in out.getvalue().splitlines() if line.startswith("  warning: ")]
    assert warnings == [
        f"  warning: {WARNING}",
        "  warning: ACME-T-001 2026-03: service_level 40.0 is below the minimum 50",
    ]
    # Without --dry-run the file is ingested as before: a warning never refuses a file.
    call_command("ingest_kpis", str(path), stdout=StringIO())
    assert KpiBatch.objects.filter(file_name=str(path)).exists()


# --- the draft --------------------------------------------------------------------------------


def test_the_draft_is_flagged_with_each_failed_rule(contract):
    load_kpis(MISMATCHED)
    draft = statement_price_draft(contract_id=contract.pk, period=MARCH)
    flags = [f for f in draft.flags if f["code"] == "kpi_check_failed"]
    assert flags == [{"code": "kpi_check_failed", "message": WARNING, "kpi": "contacts_total"}]
    # Corrected figures: re-pricing replaces the draft, and the flag goes.
    load_kpis("ACME-T-001,2026-03,,contacts_total,30862,,,,\n", name="fix.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=MARCH)
    assert not [f for f in draft.flags if f["code"] == "kpi_check_failed"]


def test_a_rule_whose_kpis_are_not_all_measured_flags_nothing(contract):
    load_kpis(MISMATCHED.split("ACME-T-001,2026-03,,contacts_total")[0])  # no total this month
    draft = statement_price_draft(contract_id=contract.pk, period=MARCH)
    assert not [f for f in draft.flags if f["code"] == "kpi_check_failed"]


def test_a_draft_adjustment_is_flagged_too(contract):
    from datetime import date

    load_kpis(MISMATCHED.replace("31673", "30862"))
    issued = statement_price_draft(contract_id=contract.pk, period=MARCH)
    assert not [f for f in issued.flags if f["code"] == "kpi_check_failed"]
    statement_approve(statement_id=issued.pk)
    statement_issue(statement_id=issued.pk, issue_date=date(2026, 4, 2))
    # A late file restates voice, not the total.
    load_kpis("ACME-T-001,2026-03,,contacts_voice,24811,,,voice,\n", name="late.csv")
    adjustment = statement_price_draft(contract_id=contract.pk, period=MARCH)
    assert adjustment.adjusts_id == issued.pk
    assert [f["code"] for f in adjustment.flags] == ["adjustment", "kpi_check_failed"]
    assert adjustment.flags[1]["message"] == (
        "ACME-T-001 2026-03: contacts_total 30,862 is not contacts_voice + contacts_chat 31,673 "
        "(2.6 % apart; tolerance 1 %)"
    )


# --- the admin's contract page ----------------------------------------------------------------


def form_data(form) -> dict:
    """What a browser posts for ``form`` as rendered (unticked boxes left out)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is False or value is None:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value
    return data


def contract_page_post(client, contract, kpi_checks: str):
    """Post the contract's change page as it is rendered, with ``kpi_checks`` typed in."""
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    page = client.get(url)
    data = form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= form_data(formset.management_form)
        for form in formset.forms:
            data |= form_data(form)
    data["kpi_checks"] = kpi_checks
    return client.post(url, data)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ('[{"kpi": "foo", "min": "0"}]', "kpi_checks[0].kpi: unknown KPI &#x27;foo&#x27;"),
        ('[{"kpi": "csat", "min": 1.5}]', "kpi_checks[0].min: 1.5 is a float, which is not exact"),
        ('{"kpi": "csat"}', "kpi_checks: expected a list, got a mapping"),
        ('[{"kpi": "contacts_total", "equals_sum_of": ["contacts_voice"]}]', "write the rules as an export"),
    ],
)
def test_the_admin_contract_page_refuses_a_rule_a_contract_file_could_not_give(
    client, contract, procurement, typed, problem
):
    client.force_login(procurement)
    response = contract_page_post(client, contract, typed)
    assert response.status_code == 200
    assert problem in response.content.decode()
    contract.refresh_from_db()
    assert contract.kpi_checks[1] == {"kpi": "service_level", "min": "50"}


def test_the_admin_contract_page_saves_canonical_rules(client, contract, procurement):
    client.force_login(procurement)
    response = contract_page_post(client, contract, '[{"kpi": "csat", "min": "70"}]')
    assert response.status_code == 302, response.context["adminform"].form.errors
    contract.refresh_from_db()
    assert contract.kpi_checks == [{"kpi": "csat", "min": "70"}]
