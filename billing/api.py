"""The finance API: issued invoices and credit notes, their PDFs, and recording payment.

Every query starts from ``permissions.visible_statements``: another party's document is a
404, never a 403, on every route.
"""

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Window
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from core.api_params import StrictPageNumberPagination

from . import services
from .einvoice.exports import statement_ubl_xml
from .einvoice.values import EInvoiceError
from .feed_api import CURSOR, UPDATED_SINCE, feed_requested, invoice_feed_page
from .filters import InvoiceFilter
from .models import IdempotencyKey
from .pdf import statement_pdf_store
from .permissions import can_record_payments, visible_event_kinds, visible_statements
from .selectors import statement_events
from .serializers import (
    VALIDATION_ERROR_SCHEMA,
    ErrorSerializer,
    InvoiceSerializer,
    MarkPaidSerializer,
    StatementEventSerializer,
    invoice_document,
    invoice_json,
)


class PDFRenderer(BaseRenderer):
    """Accepts ``Accept: application/pdf`` for the PDF route; the view answers with the file itself."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class XMLRenderer(BaseRenderer):
    """Accepts ``Accept: application/xml`` for the UBL route; the view answers with the bytes itself."""

    media_type = "application/xml"
    format = "xml"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class NotAnEInvoice(APIException):
    """The document cannot be written as the e-invoice asked for (the message says why)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "not_an_einvoice"


class RenderedJSON(str):
    """A page's results, already JSON text as ``JSONRenderer`` writes it."""


class InvoiceJSONRenderer(JSONRenderer):
    """DRF's JSON renderer; a page whose results are already JSON text has them put in as is
    (the browsable API renders through it too)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, RenderedJSON):
            return super().render(data, accepted_media_type, renderer_context)
        head = {key: value for key, value in data.items() if key != "results"}
        rendered = super().render(head, accepted_media_type, renderer_context)
        return rendered[: rendered.rindex(b"}")] + b',"results":' + results.encode() + b"}"


# Databases take 64-bit offsets; a page number beyond this cannot have rows.
MAX_OFFSET = 2**62


class InvoicePagination(StrictPageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_ids(self, statements: QuerySet, request, view=None) -> list[int]:
        """The ids of the requested page of ``statements`` (filtered and ordered), in order.

        One query returns the page's ids together with the number of all matches (a window
        count), so there is no separate ``COUNT``. A page number that is not a positive
        integer, ``last``, a page beyond any database's offset, or a page with no rows takes
        DRF's own count-then-slice path, with its answers (a page past the end is a 404). A
        ``page`` or ``page_size`` that is not valid is a 400 (``ValidationError``).
        """
        self.page_number_check(request)
        page_size = self.get_page_size(request)
        try:
            number = int(request.query_params.get(self.page_query_param) or 1)
        except ValueError:
            number = 0
        rows = []
        offset = (number - 1) * page_size
        if 0 <= offset < MAX_OFFSET:
            matching = statements.annotate(matching=Window(Count("pk"))).values_list("pk", "matching")
            rows = list(matching[offset : offset + page_size])
        if not rows:
            return self.paginate_queryset(statements.values_list("pk", flat=True), request, view)
        paginator = self.django_paginator_class(statements, page_size)
        paginator.count = rows[0][1]
        self.page = paginator.page(number)  # its object list stays an unevaluated slice
        self.request = request
        return [pk for pk, _ in rows]

    def get_paginated_response_schema(self, schema):
        """DRF's page, and the ``cursor`` of a page asked for by ``updated_since`` or ``cursor``."""
        page = super().get_paginated_response_schema(schema)
        page["properties"]["cursor"] = {
            "type": "string",
            "nullable": True,
            "description": "With `updated_since` or `cursor` only: pass it as `cursor` to resume "
            "after this page's last document, now or later.",
        }
        return page


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A client-chosen key: the same key and body replay the first response; another body is a 409.",
)
ORDERING_FIELDS = ["issue_date", "number", "period", "gross"]
ORDERING = OpenApiParameter(
    "ordering",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=[prefix + field for field in ORDERING_FIELDS for prefix in ("", "-")],
    description="Sort by this field (a leading `-` reverses); several may be given, comma-separated. "
    "Default `issue_date,number`.",
)
# Responses every operation may give: no or a bad token, and the rate limit.
COMMON_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="No token, or an unknown one"),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests: retry after `Retry-After` seconds"),
}
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such document among those the caller may see")


@extend_schema_view(
    list=extend_schema(
        summary="Issued invoices and credit notes, with their lines",
        parameters=[ORDERING, UPDATED_SINCE, CURSOR],
        responses={
            200: InvoiceSerializer(many=True),
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="A filter, `ordering`, `page`, `page_size`, `updated_since` or `cursor` value is not valid",
            ),
            404: OpenApiResponse(ErrorSerializer, description="No such page (`page` beyond the last)"),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One document by its number",
        responses={200: InvoiceSerializer, 404: NOT_FOUND, **COMMON_ERRORS},
    ),
)
class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InvoiceSerializer
    lookup_field = "number"
    pagination_class = InvoicePagination
    filterset_class = InvoiceFilter
    ordering_fields = ORDERING_FIELDS
    ordering = ["issue_date", "number"]
    renderer_classes = [InvoiceJSONRenderer, BrowsableAPIRenderer]

    def get_queryset(self):
        return visible_statements(self.request.user)

    def list(self, request, *args, **kwargs):
        """Two queries whatever the page size, after the token's: the page's ids in order with
        the number of matches, and the documents' texts kept at issue (lines included) with
        their status and payment. Documents issued before texts were kept cost three more, for
        the page: their documents' statements, contracts and lines. With ``updated_since`` or
        ``cursor`` the page is the feed's (``billing.feed_api.invoice_feed_page``): the lock on
        PostgreSQL, then as many queries."""
        statements = self.filter_queryset(self.get_queryset())
        if feed_requested(request):
            feed = invoice_feed_page(statements, request, page_size=self.paginator.get_page_size(request))
            results = RenderedJSON("[" + ",".join(invoice_json(feed.statement_ids, request)) + "]")
            page = {"count": feed.count, "next": feed.next, "previous": None, "cursor": feed.cursor}
            return Response({**page, "results": results})
        page_ids = self.paginator.paginate_ids(statements, request, view=self)
        results = RenderedJSON("[" + ",".join(invoice_json(page_ids, request)) + "]")
        return self.get_paginated_response(results)

    def retrieve(self, request, *args, **kwargs):
        return Response(invoice_document(self.get_object().pk, request))

    def handle_exception(self, exc):
        """Errors are JSON, also to a client that asked for the PDF with ``Accept: application/pdf``."""
        response = super().handle_exception(exc)
        if isinstance(getattr(self.request, "accepted_renderer", None), (PDFRenderer, XMLRenderer)):
            self.request.accepted_renderer = InvoiceJSONRenderer()
            self.request.accepted_media_type = InvoiceJSONRenderer.media_type
        return response

    @extend_schema(
        summary="The stored PDF",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **{
                (code, "application/json"): response
                for code, response in {404: NOT_FOUND, **COMMON_ERRORS}.items()
            },
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[InvoiceJSONRenderer, PDFRenderer])
    def pdf(self, request, number=None):
        statement = self.get_object()
        if not statement.pdf:
            statement_pdf_store(statement_id=statement.pk)
            statement.refresh_from_db()
        return FileResponse(
            statement.pdf.open("rb"), content_type="application/pdf", filename=f"{statement.number}.pdf"
        )

    @extend_schema(
        summary="The document as a Peppol BIS Billing 3.0 UBL e-invoice",
        description="An `Invoice` (type code 380, or 389 when self-billed) or, for a credit note, a "
        "`CreditNote` (381, or 261 when self-billed), built from the document as issued, amounts "
        "of a credit note positive. A 409 when a party has no Peppol endpoint (a VAT number of a "
        "country with a Peppol VAT scheme).",
        responses={
            (200, "application/xml"): OpenApiTypes.BINARY,
            **{
                (code, "application/json"): response
                for code, response in {
                    404: NOT_FOUND,
                    409: OpenApiResponse(ErrorSerializer, description="A party has no Peppol endpoint"),
                    **COMMON_ERRORS,
                }.items()
            },
        },
    )
    @action(
        detail=True, methods=["get"], renderer_classes=[InvoiceJSONRenderer, XMLRenderer], filter_backends=[]
    )
    def ubl(self, request, number=None):
        """Four queries after the document's: the e-invoice is built when asked, from the
        document's frozen parties, amounts and lines, so it never differs from what was issued."""
        statement = self.get_object()
        try:
            xml = statement_ubl_xml(statement_id=statement.pk)
        except EInvoiceError as error:
            raise NotAnEInvoice(str(error)) from None
        response = HttpResponse(xml, content_type="application/xml")
        response["Content-Disposition"] = f'inline; filename="{statement.number}.xml"'
        return response

    @extend_schema(
        summary="A document's history, oldest first",
        description="Every state change of the document, with who made it and when: from its first "
        "draft to its payment for the buyer's users; from its issue on (issued, PDF stored, voided, "
        "paid) for its supplier.",
        responses={
            200: StatementEventSerializer(many=True),
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA, description="A `page` or `page_size` that is not valid"
            ),
            404: OpenApiResponse(
                ErrorSerializer,
                description="No such document among those the caller may see, or a page past the last",
            ),
            **COMMON_ERRORS,
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, number=None):
        """A document's history, oldest first, for whoever may see the document (anyone else
        gets the 404 of its detail route); its supplier sees it from the issue on. The list's
        filters and ordering do not apply here: they choose documents, not events."""
        # Four queries whatever the page size, after the token's: the document, the first
        # event of its history, the count, and the page with each event's actor.
        statement = self.get_object()
        events = statement_events(statement=statement, kinds=visible_event_kinds(request.user))
        page = self.paginate_queryset(events)
        serializer = StatementEventSerializer(page, many=True, context={"number": statement.number})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="Record that a document was paid",
        parameters=[IDEMPOTENCY_KEY],
        request=MarkPaidSerializer,
        responses={
            200: InvoiceSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="No `Idempotency-Key` header, or a body that is not valid",
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="Only the buyer's finance users record payments"
            ),
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="The key was used with another request, or the document is void"
            ),
            **COMMON_ERRORS,
        },
    )
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, number=None):
        """Record the payment once per ``Idempotency-Key``. The key is claimed (its row inserted)
        in the same transaction as the payment, before it: a parallel request with the same key
        waits on the unique constraint, then replays the winner's stored bytes or, with another
        body, is a 409. A request that fails (400, 409) leaves no key behind."""
        statement = self.get_object()
        if not can_record_payments(request.user):
            raise PermissionDenied("only the buyer's finance users record payments")
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ValidationError({"Idempotency-Key": ["this header is required"]})
        if not IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise ValidationError(
                {"Idempotency-Key": ["at most 200 printable ASCII characters (letters, digits, punctuation)"]}
            )
        body_hash = hashlib.sha256(
            json.dumps({"number": number, "body": request.data}, sort_keys=True, default=str).encode()
        ).hexdigest()
        if IdempotencyKey.objects.filter(user=request.user, key=key).exists():
            return idempotent_replay(user=request.user, key=key, request_hash=body_hash)
        serializer = MarkPaidSerializer(data=request.data, context={"issue_date": statement.issue_date})
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(
                    user=request.user, key=key, request_hash=body_hash, response_status=200, response_text=""
                )
                paid = services.statement_mark_paid(
                    statement_id=statement.pk,
                    paid_at=serializer.validated_data.get("paid_at"),
                    user=request.user,
                )
                claim.response_text = (
                    InvoiceJSONRenderer().render(invoice_document(paid.pk, request)).decode()
                )
                claim.save(update_fields=["response_text"])
        except services.BillingError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except IntegrityError:  # the same key, claimed by a parallel request that committed first
            return idempotent_replay(user=request.user, key=key, request_hash=body_hash)
        return HttpResponse(claim.response_text, status=200, content_type=JSON_CONTENT_TYPE)


# Stored keys are at most 200 characters (the column); printable ASCII keeps them headers.
IDEMPOTENCY_KEY_RE = re.compile(r"[\x20-\x7e]{1,200}")
JSON_CONTENT_TYPE = "application/json"


def idempotent_replay(*, user, key: str, request_hash: str) -> HttpResponse:
    """The stored response of ``key``, byte for byte, or a 409 if it was used with another request."""
    stored = IdempotencyKey.objects.get(user=user, key=key)
    if stored.request_hash != request_hash:
        conflict = {"detail": "Idempotency-Key was used with another request"}
        return HttpResponse(
            InvoiceJSONRenderer().render(conflict),
            status=status.HTTP_409_CONFLICT,
            content_type=JSON_CONTENT_TYPE,
        )
    return HttpResponse(stored.response_text, status=stored.response_status, content_type=JSON_CONTENT_TYPE)
