"""The text kept at issue holds a document's immutable fields only; its status and payment are
composed with it when it is served. Texts kept in the earlier form (the whole JSON as issued)
are served the same. The schema names the keys the API serves."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from billing.document_json import (
    LIVE_FIELDS,
    TAX_RATE_PLACES,
    date_text,
    datetime_text,
    frozen_data,
    invoice_data,
    render_json,
)
from billing.documents import documents
from billing.services import statement_mark_paid, statement_void
from tests.integration.billing.conftest import load_contract

from .test_invoices import client_for, issue_month, reference_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a = load_contract("ACME-A-001", supplier="Alpha CX Ltd")
    return {"a": a, "a_doc": issue_month(a)}


# The order the whole JSON was kept in before the live fields were left out of it.
EARLIER_ORDER = (
    "number",
    "document_type",
    "status",
    "contract",
    "buyer",
    "supplier",
    "period",
    "currency",
    "net",
    "tax",
    "gross",
    "tax_rate",
    "issue_date",
    "due_date",
    "paid_at",
    "adjusts",
    "lines",
)


def earlier_form(statement) -> str:
    """What issuing kept before: the whole JSON of the document being issued."""
    from billing.documents import document

    data = invoice_data(document(statement))
    assert (data["status"], data["paid_at"]) == ("issued", None)
    return render_json({key: data[key] for key in EARLIER_ORDER})


def test_the_kept_text_is_the_documents_immutable_fields(world):
    statement = world["a_doc"]
    statement.refresh_from_db()
    kept = json.loads(statement.api_representation)
    assert set(LIVE_FIELDS).isdisjoint(kept)
    assert kept == frozen_data(documents([statement.pk])[statement.pk])
    assert statement.api_representation == render_json(kept)


def test_texts_kept_in_the_earlier_form_are_served_with_their_current_status(world):
    with mock.patch("billing.services.frozen_representation", side_effect=earlier_form):
        paid = issue_month(world["a"], "2026-02")
        voided = issue_month(world["a"], "2026-03")
        issued = issue_month(world["a"], "2026-04")
    assert json.loads(paid.api_representation)["status"] == "issued"
    statement_mark_paid(statement_id=paid.pk, paid_at="2026-03-01T23:30:00.250000Z")
    statement_void(statement_id=voided.pk, reason="issued twice")
    finance = client_for(world["a"].buyer, "finance")
    listed = {d["number"]: d for d in finance.get("/api/v1/invoices/", {"page_size": 50}).json()["results"]}
    for statement, status in [(paid, "paid"), (voided, "void"), (issued, "issued")]:
        served = listed[statement.number]
        assert served["status"] == status
        assert served == reference_json(statement.number)
        assert served == finance.get(f"/api/v1/invoices/{statement.number}/").json()
    assert listed[paid.number]["paid_at"] == "2026-03-01T23:30:00.250000Z"


def test_the_schema_names_the_keys_the_api_serves(world):
    finance = client_for(world["a"].buyer, "finance")
    served = finance.get(f"/api/v1/invoices/{world['a_doc'].number}/").json()
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert list(components["Invoice"]["properties"]) == list(served)
    assert list(components["Line"]["properties"]) == list(served["lines"][0])


@pytest.mark.parametrize(
    "data",
    [
        {"text": "Zürich € – 東京", "n": 1, "none": None, "list": [True, False]},
        {"explanation": "line\u2028separator\u2029paragraph", "quote": 'a "b" \\ c'},
    ],
)
def test_the_json_is_written_as_drf_renders_it(data):
    assert render_json(data) == JSONRenderer().render(data).decode()


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York"])
def test_values_are_written_as_drf_fields_write_them(settings, zone):
    settings.TIME_ZONE = zone
    paid = datetime(2026, 7, 3, 9, 30, 15, 120000, tzinfo=UTC)
    with timezone.override(zone):
        assert datetime_text(paid) == drf_fields.DateTimeField().to_representation(paid)
    assert date_text(date(2026, 7, 3)) == drf_fields.DateField().to_representation(date(2026, 7, 3))
    for rate in (Decimal("20.00"), Decimal("0.00"), Decimal("7.5"), Decimal("100.00")):
        expected = drf_fields.DecimalField(max_digits=5, decimal_places=2).to_representation(rate)
        assert str(rate.quantize(TAX_RATE_PLACES)) == expected
