"""Stored PDFs go through the ``documents`` storage, on the file system and in an S3-compatible
bucket (a local moto server): issuing stores the PDF there, the portal, the API and the ZIP
export read it back from there, and with S3 nothing is written under ``MEDIA_ROOT``, so any
machine can serve a document another one rendered."""

import io
import zipfile

import pytest
from rest_framework.test import APIClient

from billing.models import Statement
from billing.pdf import statement_pdf_store
from billing.storage import documents_storage
from tests.functional.portal.conftest import build_world, portal_user, signed_in
from tests.s3 import bucket_keys

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture(params=["filesystem", "s3"])
def backend(request, settings):
    """Each test once per backend; for S3, the bucket and the (empty) media folder."""
    if request.param == "s3":
        return {"kind": "s3", **request.getfixturevalue("s3_documents")}
    return {"kind": "filesystem", "media_root": settings.MEDIA_ROOT}


def stored(statement) -> Statement:
    statement_pdf_store(statement_id=statement.pk)
    return Statement.objects.get(pk=statement.pk)


def test_an_issued_statements_pdf_is_stored_in_the_configured_storage(backend):
    world = build_world()
    statement = stored(world["alpha_jan"])
    assert statement.pdf.name.startswith("statements/") and statement.pdf.name.endswith(".pdf")
    with documents_storage.open(statement.pdf.name, "rb") as file:
        content = file.read()
    assert content.startswith(b"%PDF")
    if backend["kind"] == "s3":
        assert statement.pdf.name in bucket_keys(backend)
        body = backend["client"].get_object(Bucket=backend["bucket"], Key=statement.pdf.name)["Body"].read()
        assert body == content
        assert not backend["media_root"].exists()  # nothing on this machine's disk
    else:
        assert (backend["media_root"] / statement.pdf.name).read_bytes() == content


def test_the_portal_and_the_api_serve_the_pdf_read_from_the_storage(backend):
    world = build_world()
    statement = stored(world["alpha_jan"])
    with documents_storage.open(statement.pdf.name, "rb") as file:
        content = file.read()
    portal = signed_in(world["alpha"]).get(f"/statements/{statement.number}/pdf/")
    assert portal.status_code == 200 and portal["Content-Type"] == "application/pdf"
    assert b"".join(portal.streaming_content) == content
    finance = APIClient()
    user = portal_user(world["alpha_contract"].buyer, role="finance", username="finance-acme")
    finance.force_authenticate(user)
    api = finance.get(f"/api/v1/invoices/{statement.number}/pdf/")
    assert api.status_code == 200 and b"".join(api.streaming_content) == content
    if backend["kind"] == "s3":
        assert not backend["media_root"].exists()


def test_another_supplier_still_cannot_download_it(backend):
    world = build_world()
    statement = stored(world["alpha_jan"])
    assert signed_in(world["beta"]).get(f"/statements/{statement.number}/pdf/").status_code == 404


def test_a_pdf_rendered_on_first_download_is_stored_there_once(backend):
    world = build_world()
    statement = world["beta_jan"]
    assert not Statement.objects.get(pk=statement.pk).pdf
    first = b"".join(signed_in(world["beta"]).get(f"/statements/{statement.number}/pdf/").streaming_content)
    name = Statement.objects.get(pk=statement.pk).pdf.name
    second = b"".join(signed_in(world["beta"]).get(f"/statements/{statement.number}/pdf/").streaming_content)
    assert first == second and first.startswith(b"%PDF")
    if backend["kind"] == "s3":
        assert bucket_keys(backend) == [name]
        assert not backend["media_root"].exists()


def test_the_zip_export_reads_each_pdf_from_the_storage(backend):
    world = build_world()
    statement = stored(world["alpha_jan"])
    response = signed_in(world["alpha"]).get("/statements/export.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    with documents_storage.open(statement.pdf.name, "rb") as file:
        assert archive.read(f"{statement.number}.pdf") == file.read()
    if backend["kind"] == "s3":
        assert not backend["media_root"].exists()


def test_s3_objects_are_private_and_never_overwritten(s3_documents):
    world = build_world()
    statement = stored(world["alpha_jan"])
    acl = s3_documents["client"].get_object_acl(Bucket=s3_documents["bucket"], Key=statement.pdf.name)
    grantees = [grant["Grantee"].get("URI", "") for grant in acl["Grants"]]
    assert not any("AllUsers" in uri or "AuthenticatedUsers" in uri for uri in grantees)
    again = documents_storage.save(statement.pdf.name, io.BytesIO(b"%PDF-other"))
    assert again != statement.pdf.name  # a second file of the same name gets a name of its own
    with documents_storage.open(statement.pdf.name, "rb") as file:
        assert file.read() != b"%PDF-other"
    url = documents_storage.url(statement.pdf.name)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url  # signed and short-lived only
