"""``POST /api/v1/contracts/{reference}/simulations/``: simulate proposed terms for procurement.

A thin view: it reads a bounded JSON body, checks each field, decides whether the caller may
see the contract (its buyer's procurement users and superusers; another buyer's contract is a
404, any other role a 403), and returns ``billing.simulation_json.simulation_json`` of
``billing.simulation.simulation_from_file``. Nothing is written.
"""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from contracts.schema import MAX_FILE_BYTES
from contracts.tenancy import buyer_scope
from contracts.yamlio import json_depth_problem, json_number_hooks
from pricing.whatif import MAX_TEXT, MAX_WHAT_IFS

from .api import COMMON_ERRORS
from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer
from .simulation import SimulationError, simulation_contract, simulation_from_file
from .simulation_json import simulation_json

# A contract file (at most MAX_FILE_BYTES) inside a JSON string can double with its escapes.
MAX_BODY_BYTES = 2 * MAX_FILE_BYTES + 64 * 1024
FIELDS = ("terms", "from", "to", "kpi")

REQUEST_SCHEMA = {
    "type": "object",
    "required": ["terms"],
    "additionalProperties": False,
    "properties": {
        "terms": {
            "description": "The proposed contract file of the same contract: its YAML or JSON text, or the "
            "document itself as an object",
            "oneOf": [{"type": "string"}, {"type": "object"}],
        },
        "from": {"type": "string", "description": "YYYY-MM, the first month (default: 12 months up to `to`)"},
        "to": {
            "type": "string",
            "description": "YYYY-MM, the last month (default: the latest with a statement)",
        },
        "kpi": {
            "type": "object",
            "description": "What-ifs by KPI code: `+N`/`-N` add, `*F` multiply, `N` set",
            "additionalProperties": {"type": "string"},
            "maxProperties": MAX_WHAT_IFS,
        },
    },
}


class BoundedJSONParser(BaseParser):
    """JSON bodies of at most ``MAX_BODY_BYTES``, nested at most as deep as a contract file may
    be, numbers exact (``contracts.yamlio``). Raises ``ParseError`` (a 400) otherwise."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_BODY_BYTES:
            raise ParseError(f"the body is larger than {MAX_BODY_BYTES:,} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("the body is not UTF-8 JSON") from None
        if (problem := json_depth_problem(text)) is not None:
            raise ParseError(f"the body is {problem}")
        try:
            return json.loads(text, **json_number_hooks())
        except (ValueError, RecursionError) as error:
            raise ParseError(f"the body is not JSON: {error}") from None


def _terms_file(value) -> tuple[str, bytes]:
    if isinstance(value, str):
        return "terms.yaml", value.encode("utf-8")
    if isinstance(value, dict):
        # Exact numbers were read as Decimal: written back as the strings the file format takes.
        return "terms.json", json.dumps(value, default=str).encode("utf-8")
    raise SimulationError("terms", "the proposed contract file: its text, or the document as an object")


def _what_ifs(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict) or len(value) > MAX_WHAT_IFS:
        raise SimulationError("kpi", f"an object of at most {MAX_WHAT_IFS} KPI codes, each to its change")
    texts = []
    for code, change in value.items():
        if not isinstance(change, str) or len(code) + len(change) + 1 > MAX_TEXT:
            raise SimulationError(
                "kpi", f"{str(code)[:40]!r}: a change is a text such as '+2', '*0.9' or '85'"
            )
        texts.append(f"{code}={change}")
    return texts


def _month(body: dict, field: str) -> str | None:
    value = body.get(field)
    if value is not None and (not isinstance(value, str) or len(value) > 7):
        raise SimulationError(field, "a month is YYYY-MM, for example 2026-04")
    return value


class SimulationsView(APIView):
    parser_classes = [BoundedJSONParser]
    # A simulation prices up to 36 months: besides the user rate, its own lower one.
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "simulations"

    @extend_schema(
        summary="Simulate proposed terms on the contract's months, beside what each month cost",
        description="Nothing is written. Procurement users of the contract's buyer only. The body's `terms` is "
        "a contract file of the same contract (docs/contract-file.md); the response is the JSON form of "
        "docs/simulation.md, as `manage.py simulate_terms --format json` prints it.",
        request={"application/json": REQUEST_SCHEMA},
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The simulation (docs/simulation.md)"),
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="A field that is not valid, by its name (`terms`, `from`, `to`, `kpi`), or a body "
                "that is not a bounded JSON object (`detail`)",
            ),
            403: OpenApiResponse(ErrorSerializer, description="Only the buyer's procurement users"),
            404: OpenApiResponse(ErrorSerializer, description="No such contract among the caller's buyer's"),
            **COMMON_ERRORS,
        },
    )
    def post(self, request, reference: str):
        if buyer_scope(request.user) is None:
            raise PermissionDenied("only the buyer's procurement users simulate terms")
        try:
            contract = simulation_contract(reference=reference, user=request.user)
        except SimulationError:
            raise NotFound("no such contract") from None
        body = request.data
        if not isinstance(body, dict):
            return Response({"detail": "the body is a JSON object"}, status=400)
        unknown = sorted(str(key)[:40] for key in body if key not in FIELDS)
        if unknown:
            return Response({key: ["not a field of a simulation"] for key in unknown}, status=400)
        if "terms" not in body:
            return Response({"terms": ["this field is required"]}, status=400)
        try:
            file_name, content = _terms_file(body["terms"])
            simulation = simulation_from_file(
                contract=contract,
                file_name=file_name,
                content=content,
                first=_month(body, "from"),
                last=_month(body, "to"),
                what_ifs=_what_ifs(body.get("kpi")),
            )
        except SimulationError as error:
            return Response({error.field: error.messages}, status=400)
        return Response(simulation_json(simulation))
