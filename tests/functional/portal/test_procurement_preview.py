"""See as the supplier: procurement opens the portal's page of its own buyer's statement,
read-only and marked as a preview; nobody else can."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from billing.models import Statement
from tests.functional.admin.test_statement_actions import acme, globex  # noqa: F401
from tests.functional.portal.conftest import portal_user, signed_in

pytestmark = pytest.mark.django_db


def preview_url(statement) -> str:
    return reverse("portal:procurement-preview", args=[statement.pk])


def test_an_issued_statement_is_the_suppliers_page_under_a_banner(acme):  # noqa: F811
    issued = acme["issued"]
    response = signed_in(acme["user"]).get(preview_url(issued))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview: what Alpha CX Ltd sees." in page
    assert f"Self-billed invoice {issued.number}" in page and 'id="lines-heading"' in page
    # The same page the supplier gets, less what would act: the download is disabled.
    supplier_page = signed_in(portal_user(issued.contract.supplier)).get(f"/statements/{issued.number}/")
    assert supplier_page.status_code == 200
    for shared in ('id="lines-heading"', 'id="scorecard-heading"', "Alpha CX Ltd", issued.number):
        assert shared in supplier_page.content.decode() and shared in page, shared
    assert reverse("portal:statement-pdf", args=[issued.number]) not in page
    assert "Download PDF: disabled in the preview" in page
    assert reverse("admin:billing_statement_change", args=[issued.pk]) in page
    assert "Log out" not in page  # the supplier's navigation is not offered to procurement
    # CSP: the preview adds no inline script or style, and the policy is sent.
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_draft_is_shown_as_it_will_look_once_issued_without_a_number(acme):  # noqa: F811
    draft = acme["draft"]
    page = signed_in(acme["user"]).get(preview_url(draft)).content.decode()
    assert "This statement is draft: Alpha CX Ltd sees nothing of it until it is issued." in page
    assert "Self-billed invoice (number assigned on issue)" in page and "DRAFT ACME-001" not in page
    assert reverse("admin:billing_statement_preview_pdf", args=[draft.pk]) in page
    assert Statement.objects.get(pk=draft.pk).status == "draft"


def test_another_buyers_procurement_gets_404(acme, globex):  # noqa: F811
    client = signed_in(acme["user"])
    for statement in (globex["issued"], globex["draft"]):
        response = client.get(preview_url(statement))
        assert response.status_code == 404
        assert b"Beta CX" not in response.content and b"Globex" not in response.content
    assert client.get("/preview/statements/99999999999999999999/").status_code == 404


def test_a_supplier_user_cannot_use_the_preview(acme):  # noqa: F811
    supplier = portal_user(acme["contract"].supplier)
    for statement in (acme["issued"], acme["draft"]):
        response = signed_in(supplier).get(preview_url(statement))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    anonymous = Client().get(preview_url(acme["issued"]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_staff_without_the_view_permission_gets_404(acme):  # noqa: F811
    staff = User.objects.create_user("staff-no-perms", is_staff=True)
    response = signed_in(staff).get(preview_url(acme["issued"]))
    assert response.status_code == 404


def test_the_preview_is_read_only(acme):  # noqa: F811
    response = signed_in(acme["user"]).post(preview_url(acme["draft"]))
    assert response.status_code == 405
