"""Every operation of the published OpenAPI schema, fuzzed: the API keeps the promises its schema makes.

The schema is loaded from the application itself (WSGI, no server). Requests are made as a
finance user of one of two buyers, against issued documents of both buyers: path parameters
are the generated values or, in about half the examples, the number of a real document of
either buyer. Each response must not be a server error, must have a status code and content
type the schema documents for the operation, and a body that validates against the
documented schema. Generation is derandomised and bounded, so a run is repeatable.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import document_numbers

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Loaded when the module is imported (the schema view reads no database): schemathesis'
# fixture-based loading relies on a pytest internal that pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def wsgi_requests(db):
    """Requests through the WSGI application inside the test's transaction.

    Django closes the connection when a request starts and finishes; inside the test's
    transaction that would close it for the rest of the test, so (as Django's own test client
    does) that handler is detached while the test runs.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_to_the_published_schema(case, data, wsgi_requests, finance_token, two_buyers):
    if "number" in (case.path_parameters or {}) and data.draw(st.booleans(), label="a real document"):
        case.path_parameters["number"] = data.draw(st.sampled_from(document_numbers(two_buyers)))
    case.call_and_validate(headers={"Authorization": f"Token {finance_token}"}, checks=CHECKS)
