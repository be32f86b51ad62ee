"""A finance system that knows only the published schema pulls a month's documents and their PDFs."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def published_schema(client: Client) -> dict:
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operation(schema: dict, predicate) -> tuple[str, str, dict]:
    """The one operation ``predicate(method, operation)`` picks: ``(path, method, operation)``."""
    found = [
        (path, method, spec)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
        if predicate(method, spec)
    ]
    assert len(found) == 1, [(path, method) for path, method, _ in found]
    return found[0]


def returns(spec: dict, content_type: str) -> bool:
    return content_type in spec.get("responses", {}).get("200", {}).get("content", {})


def query_parameter(spec: dict, name: str) -> str:
    parameters = [p["name"] for p in spec["parameters"] if p["in"] == "query" and p["name"] == name]
    assert parameters, f"{name} is not a documented query parameter"
    return parameters[0]


def fill(path: str, spec: dict, value: str) -> str:
    """``path`` with its one path parameter (named in the schema) replaced by ``value``."""
    (name,) = [p["name"] for p in spec["parameters"] if p["in"] == "path"]
    return path.replace("{" + name + "}", value)


def test_a_month_is_pulled_page_by_page_with_its_pdfs_through_the_schema_alone(two_buyers, finance_token):
    client = Client(HTTP_AUTHORIZATION=f"Token {finance_token}")
    schema = published_schema(client)

    def is_document_list(method, spec):
        listed = spec.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        reference = listed.get("schema", {}).get("$ref", "")
        return (
            method == "get"
            and "Paginated" in reference
            and "period" in {p["name"] for p in spec.get("parameters", [])}
        )

    list_path, _, list_spec = operation(schema, is_document_list)
    period, page, page_size = (query_parameter(list_spec, name) for name in ("period", "page", "page_size"))
    pdf_path, _, pdf_spec = operation(
        schema, lambda method, spec: method == "get" and returns(spec, "application/pdf")
    )

    pulled, pages = [], 0
    while True:
        pages += 1
        response = client.get(list_path, {period: "2026-02", page: pages, page_size: 1})
        assert response.status_code == 200
        body = response.json()
        pulled += body["results"]
        if body["next"] is None:
            break
    numbers = [document["number"] for document in pulled]
    expected = [d.number for d in two_buyers["ACME"] if d.period == "2026-02"]
    assert sorted(numbers) == sorted(expected) and len(expected) == 2 and pages == 2
    assert all(len(document["lines"]) == 3 for document in pulled)

    for number in numbers:
        response = client.get(fill(pdf_path, pdf_spec, number))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert re.fullmatch(r"/api/v1/invoices/\{\w+\}/pdf/", pdf_path)
