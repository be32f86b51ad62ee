"""``POST /api/v1/kpi-batches/``: every 400 has the shape of a refused file."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_request_without_a_file_is_refused_like_a_bad_file(finance_token):
    client = Client(HTTP_AUTHORIZATION=f"Token {finance_token}")
    response = client.post("/api/v1/kpi-batches/", {"dry_run": "true"})
    assert response.status_code == 400
    assert response.json() == {
        "status": "rejected",
        "file_name": "",
        "error_count": 1,
        "errors": [{"row": 0, "column": "file", "problem": "No file was submitted."}],
    }


def test_a_body_that_is_not_multipart_is_a_415(finance_token):
    client = Client(HTTP_AUTHORIZATION=f"Token {finance_token}")
    response = client.post("/api/v1/kpi-batches/", {"file": "x"}, content_type="application/json")
    assert response.status_code == 415 and "detail" in response.json()


def test_a_multipart_body_that_does_not_parse_is_refused_like_a_bad_file(finance_token):
    client = Client(HTTP_AUTHORIZATION=f"Token {finance_token}")
    response = client.generic(
        "POST", "/api/v1/kpi-batches/", b"not multipart at all", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "rejected" and body["errors"][0]["row"] == 0
    assert (
        body["errors"][0]["column"] == "file" and "Multipart form parse error" in body["errors"][0]["problem"]
    )
