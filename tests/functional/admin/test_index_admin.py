"""The index series in the admin: procurement reads them; only a superuser imports values,
through the same service as ``import_index`` (all or nothing, every bad row named)."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contracts.index_import import index_series_create
from contracts.models import IndexValue, Membership
from tests.integration.billing.conftest import load_contract

pytestmark = pytest.mark.django_db
IMPORT = "admin:contracts_indexseries_import"


@pytest.fixture
def cpi():
    return index_series_create(code="CPI", name="Consumer prices index")


@pytest.fixture
def procurement_client(cpi):
    contract = load_contract()
    user = User.objects.create_user("procurement-acme", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client(cpi):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def upload(text: str, name: str = "cpi.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_procurement_reads_series_and_values_but_cannot_import(procurement_client, cpi):
    IndexValue.objects.create(series=cpi, period="2026-01", value="139.6", imported_at="2026-02-15T09:00Z")
    listing = procurement_client.get(reverse("admin:contracts_indexseries_changelist"))
    assert listing.status_code == 200 and b"CPI" in listing.content
    assert reverse(IMPORT).encode() not in listing.content
    values = procurement_client.get(reverse("admin:contracts_indexvalue_changelist"))
    assert values.status_code == 200 and b"2026-01" in values.content
    response = procurement_client.post(
        reverse(IMPORT), {"file": upload("series,period,value\nCPI,2026-02,140\n")}
    )
    assert response.status_code == 403
    assert not IndexValue.objects.filter(period="2026-02").exists()
    assert procurement_client.get(reverse("admin:contracts_indexseries_add")).status_code == 403


def test_a_user_without_a_procurement_membership_sees_no_index(cpi):
    client = Client()
    client.force_login(User.objects.create_user("staff", password="pw", is_staff=True))
    assert client.get(reverse("admin:contracts_indexseries_changelist")).status_code == 403
    assert client.get(reverse(IMPORT)).status_code == 403


def test_a_superuser_imports_and_a_bad_file_is_refused_whole_naming_the_row(superuser_client):
    page = superuser_client.get(reverse("admin:contracts_indexseries_changelist"))
    assert reverse(IMPORT).encode() in page.content
    bad = "series,period,value\nCPI,2026-01,139.6\nCPI,2026-13,140\n"
    response = superuser_client.post(reverse(IMPORT), {"file": upload(bad)})
    assert response.status_code == 200
    assert b"cpi.csv: row 3: period: expected a month YYYY-MM, got &#x27;2026-13&#x27;" in response.content
    assert not IndexValue.objects.exists()
    response = superuser_client.post(
        reverse(IMPORT), {"file": upload(bad.replace("2026-13", "2026-02"))}, follow=True
    )
    assert b"2 month(s) added, 0 revised, 0 unchanged" in response.content
    revision = upload("series,period,value\nCPI,2026-01,139.7\n")
    refused = superuser_client.post(reverse(IMPORT), {"file": revision})
    assert b"a revision of a published value must be asked for" in refused.content
    revision.seek(0)
    superuser_client.post(reverse(IMPORT), {"file": revision, "revise": "on"})
    assert str(IndexValue.objects.get(period="2026-01").value) == "139.700000"
