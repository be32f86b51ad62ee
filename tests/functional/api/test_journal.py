"""The finance API's journal: a finance token's buyer's documents only, in JSON, CSV or Excel,
balanced per document; suppliers refused; bad parameters a 400 naming them."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from openpyxl import load_workbook
from rest_framework.test import APIClient

from billing.journal_files import HEADERS
from contracts.models import Membership, Organisation

pytestmark = pytest.mark.django_db

URL = "/api/v1/journal/"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def member(code: str, role: str) -> APIClient:
    user = User.objects.create_user(f"{role}-{code.lower()}")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code=code), role=role)
    return token_client(AuthToken.objects.create(user=user)[1])


def journal(response) -> dict:
    """A streamed JSON journal's body."""
    assert response.status_code == 200, response
    return json.loads(b"".join(response.streaming_content))


def numbers(documents, period: str) -> set[str]:
    return {d.number for d in documents if d.period == period}


def test_json_holds_the_finance_users_buyers_documents_balanced(two_buyers, finance_token):
    response = token_client(finance_token).get(URL, {"period": "2026-02"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = journal(response)
    assert body["period"] == "2026-02"
    rows = body["rows"]
    assert {row["document"] for row in rows} == numbers(two_buyers["ACME"], "2026-02")
    assert not {row["document"] for row in rows} & numbers(two_buyers["GLOBEX"], "2026-02")
    for number in {row["document"] for row in rows}:
        mine = [row for row in rows if row["document"] == number]
        assert sum(Decimal(row["gross"]) for row in mine) == 0
        assert mine[-1]["entry"] == "creditors" and mine[-1]["gl_code"] == "creditors"
    first = rows[0]
    assert set(first) == {
        "document", "document_type", "issue_date", "period", "contract", "supplier", "entry", "position",
        "component", "title", "gl_code", "cost_centre", "net", "tax", "gross", "currency",
    }  # fmt: skip
    assert first["issue_date"] == "2026-03-03" and isinstance(first["net"], str)


def test_csv_and_xlsx_hold_the_same_rows(two_buyers, finance_token):
    client = token_client(finance_token)
    as_json = journal(client.get(URL, {"period": "2026-01", "format": "json"}))["rows"]
    response = client.get(URL, {"period": "2026-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="journal-2026-01.csv"'
    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Document"], r["Net"]) for r in rows] == [(r["document"], r["net"]) for r in as_json]
    response = client.get(URL, {"period": "2026-01", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Journal"]
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert header == HEADERS and [row[0] for row in cells] == [r["document"] for r in as_json]


def test_a_superuser_sees_every_buyer_and_procurement_its_own(two_buyers):
    admin = User.objects.create_superuser("root")
    client = APIClient()
    client.force_authenticate(admin)
    every = {row["document"] for row in journal(client.get(URL, {"period": "2026-01"}))["rows"]}
    assert every == numbers(two_buyers["ACME"], "2026-01") | numbers(two_buyers["GLOBEX"], "2026-01")
    procurement = member("GLOBEX", "procurement")
    mine = {row["document"] for row in journal(procurement.get(URL, {"period": "2026-01"}))["rows"]}
    assert mine == numbers(two_buyers["GLOBEX"], "2026-01")


def test_a_supplier_is_refused_and_an_anonymous_caller_too(two_buyers):
    supplier = User.objects.create_user("alpha-user")
    alpha = Organisation.objects.get(name="Alpha CX Ltd")
    Membership.objects.create(user=supplier, organisation=alpha, role="supplier")
    response = token_client(AuthToken.objects.create(user=supplier)[1]).get(URL, {"period": "2026-01"})
    assert response.status_code == 403
    assert response.json() == {"detail": "the journal is the buyer's: a supplier's user cannot read it"}
    assert APIClient().get(URL, {"period": "2026-01"}).status_code == 401


def test_a_user_without_a_membership_gets_an_empty_journal(two_buyers):
    user = User.objects.create_user("nobody")
    response = token_client(AuthToken.objects.create(user=user)[1]).get(URL, {"period": "2026-01"})
    assert journal(response)["rows"] == []


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({}, {"period": ["This field is required."]}),
        ({"period": "2026-13"}, {"period": ["expected a period as YYYY-MM"]}),
        ({"period": "26-1"}, {"period": ["expected a period as YYYY-MM"]}),
        ({"period": "x" * 10_000}, {"period": ["Ensure this field has no more than 7 characters."]}),
        ({"period": "2026-01", "format": "pdf"}, {"format": ['"pdf" is not a valid choice.']}),
    ],
)
def test_bad_parameters_are_a_400_naming_them(finance_token, query, errors):
    response = token_client(finance_token).get(URL, query)
    assert response.status_code == 400
    assert response.json() == errors


# Reading changes nothing, so the one finance token serves every example.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    period=st.text(max_size=12),
    file_format=st.sampled_from(["", "csv", "xlsx", "json"]) | st.text(max_size=6),
)
def test_no_query_string_is_a_500(finance_token, period, file_format):
    response = token_client(finance_token).get(URL, {"period": period, "format": file_format})
    assert response.status_code in (200, 400)
