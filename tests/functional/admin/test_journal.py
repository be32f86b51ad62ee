"""The month-close page's journal download: the chosen period's journal, of the user's buyer
only, as CSV or Excel; text that would be a formula neutralised; bad input a message."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from billing.journal_files import HEADERS
from tests.functional.admin.test_tenancy import buyer_world

pytestmark = pytest.mark.django_db

URL = reverse("admin:billing_statement_journal")


@pytest.fixture
def world(procurement_group):
    return {
        "a": buyer_world(code="ACME", name="Acme Telecom plc", supplier="=1+2 CX Ltd", reference="ACME-001"),
        "b": buyer_world(
            code="GLOBEX", name="Globex Mobile Ltd", supplier="Beta CX Ltd", reference="GLOBEX-001"
        ),
    }


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_holds_the_buyers_documents_only_balanced(world):
    a, b = world["a"], world["b"]
    response = client_of(a["user"]).get(URL, {"period": "2026-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="journal-2026-01.csv"'
    rows = csv_rows(response)
    assert {row["Document"] for row in rows} == {a["issued"].number}
    assert b["issued"].number not in {row["Document"] for row in rows}
    assert sum(float(row["Gross"]) for row in rows) == 0
    assert [row["Entry"] for row in rows][-1] == "creditors"
    # The supplier's name would be a formula: it is written as text.
    assert {row["Supplier"] for row in rows} == {"'=1+2 CX Ltd"}


def test_the_workbook_has_string_cells_for_text(world):
    response = client_of(world["a"]["user"]).get(URL, {"period": "2026-01", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="journal-2026-01.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Journal"]
    header, first, *_ = list(sheet.iter_rows())
    assert tuple(cell.value for cell in header) == HEADERS
    supplier = first[HEADERS.index("Supplier")]
    assert (supplier.value, supplier.data_type) == ("'=1+2 CX Ltd", "s")
    assert first[HEADERS.index("Net")].data_type == "n"


def test_the_month_close_page_links_the_journal(world):
    page = client_of(world["a"]["user"]).get(
        reverse("admin:billing_statement_month_close"), {"period": "2026-01"}
    )
    html = page.content.decode()
    assert f"{URL}?period=2026-01&amp;format=csv" in html
    assert f"{URL}?period=2026-01&amp;format=xlsx" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "2026-13", "format": "csv"}, "period: Enter a period as YYYY-MM."),
        ({"period": "x" * 5000, "format": "csv"}, "period: Ensure this value has at most 7 characters"),
        ({"format": "csv"}, "period: This field is required."),
        ({"period": "2026-01", "format": "pdf"}, "format: Select a valid choice. pdf is not one"),
        ({"period": "2026-01"}, "format: This field is required."),
    ],
)
def test_bad_input_is_a_message_on_the_month_close_page(world, query, message):
    response = client_of(world["a"]["user"]).get(URL, query)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:billing_statement_month_close"))
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and shown[0].startswith("No journal was made: ") and message in shown[0]


def test_staff_without_a_buyer_or_the_view_permission(world):
    staff = User.objects.create_user("staff-only", is_staff=True)
    assert client_of(staff).get(URL, {"period": "2026-01", "format": "csv"}).status_code == 403
    anonymous = Client().get(URL, {"period": "2026-01", "format": "csv"})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
