"""Statement lines carry their component's title from the statement's terms version: the
document, the PDF context, the PDF itself and the admin statement page show it, with the
component id in small print; the frozen finance JSON is as before."""

import shutil
from datetime import date

import pytest
from django.urls import reverse

from billing.document_json import frozen_data
from billing.documents import component_title, document, documents, readable_id
from billing.pdf import statement_pdf_bytes
from billing.services import statement_approve, statement_issue, statement_price_draft
from billing.statement_context import statement_pdf_context
from contracts.schema import ContractFileError
from contracts.services import contract_export, contract_import_content
from pricing.period import Period

from .conftest import load_contract, load_kpis, month
from .test_pdf import text_of

pytestmark = pytest.mark.django_db
TITLES = {"mgmt": "Account management", "voice": "Voice contacts — all sites"}


@pytest.fixture
def titled():
    contract = load_contract(titles=TITLES)
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))


# A line without a title is called by its id made readable.
@pytest.mark.parametrize(
    ("component_id", "title", "shown"),
    [
        ("mgmt", "Account management", "Account management"),
        ("mgmt", "", "Mgmt"),
        ("contacts_voice", None, "Contacts voice"),
        ("sla-2026", "", "Sla 2026"),
        ("__", "", "__"),
    ],
)
def test_component_title(component_id, title, shown):
    assert component_title(component_id, title) == shown


def test_readable_id_keeps_the_words():
    assert readable_id("first_contact-resolution") == "First contact resolution"


def test_the_document_lines_carry_the_titles_from_the_terms_version(titled):
    built = documents([titled.pk])[titled.pk]
    assert [(line.component, line.title) for line in built.lines] == [
        ("mgmt", "Account management"),
        ("voice", "Voice contacts — all sites"),
        ("sla", "Sla"),
    ]
    assert document(titled) == built  # one statement in memory, the same document


def test_the_frozen_finance_json_has_no_title(titled):
    assert all(
        set(line) == {"position", "component", "kind", "kpi", "amount", "explanation"}
        for line in frozen_data(documents([titled.pk])[titled.pk])["lines"]
    )


def test_the_pdf_context_gives_each_line_its_title_and_id(titled):
    context = statement_pdf_context(document=documents([titled.pk], with_scorecard=True)[titled.pk])
    assert [(line["title"], line["component"]) for line in context["lines"]] == [
        ("Account management", "mgmt"),
        ("Voice contacts — all sites", "voice"),
        ("Sla", "sla"),
    ]


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (bin/system-deps.sh) not installed"
)
def test_the_pdf_shows_the_titles_with_the_ids_in_small_print(titled):
    text = text_of(statement_pdf_bytes(statement=titled))
    # pdftotext reads a row's cells before the small print under its first cell.
    assert "Account management Fixed fee 10,000.00 for the month" in text
    assert "Voice contacts — all sites 1,500 voice contacts handled" in text
    for small_print in (
        "mgmt · fixed fee",
        "voice · unit rate",
        "Sla",
        "sla · service credit · service_level",
    ):
        assert small_print in text, small_print


def test_the_admin_statement_page_shows_the_titles(admin_client, titled):
    page = admin_client.get(reverse("admin:billing_statement_change", args=[titled.pk])).content.decode()
    assert 'Account management<div class="help">mgmt</div>' in page
    assert 'Voice contacts — all sites<div class="help">voice</div>' in page


def test_a_title_is_part_of_the_terms_an_issued_statement_was_priced_with(titled):
    # Like any key, a title of a version that priced an issued statement is not changed by a
    # file: the issued document keeps the names it was issued with; a new version renames.
    exported = contract_export(contract=titled.contract)
    with pytest.raises(ContractFileError) as refused:
        contract_import_content(
            file_name="renamed.yaml",
            content=exported.replace("title: Account management", "title: Service management").encode(),
        )
    assert refused.value.lines() == [
        "renamed.yaml: terms[0]: version 2026-01 priced an issued statement and cannot change; "
        "add a new version instead"
    ]
    assert documents([titled.pk])[titled.pk].lines[0].title == "Account management"
