"""The finance API: issued invoices and credit notes, their PDFs, and recording payment.

Every query starts from ``permissions.visible_statements``: another party's document is a
404, never a 403, on every route.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from . import services
from .filters import InvoiceFilter
from .models import IdempotencyKey
from .pdf import statement_pdf_store
from .permissions import can_record_payments, visible_statements
from .serializers import InvoiceSerializer, MarkPaidSerializer


class InvoicePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A client-chosen key: the same key and body replay the first response; another body is a 409.",
)


@extend_schema_view(
    list=extend_schema(summary="Issued invoices and credit notes, with their lines"),
    retrieve=extend_schema(
        summary="One document by its number", responses={200: InvoiceSerializer, 404: None}
    ),
)
class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InvoiceSerializer
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9-]+"
    pagination_class = InvoicePagination
    filterset_class = InvoiceFilter
    ordering_fields = ["issue_date", "number", "period", "gross"]
    ordering = ["issue_date", "number"]

    def get_queryset(self):
        return (
            visible_statements(self.request.user)
            .select_related("contract__buyer", "contract__supplier", "adjusts")
            .prefetch_related("lines__statement")
        )

    @extend_schema(
        summary="The stored PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: None}
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, number=None):
        statement = self.get_object()
        if not statement.pdf:
            statement_pdf_store(statement_id=statement.pk)
            statement.refresh_from_db()
        return FileResponse(
            statement.pdf.open("rb"), content_type="application/pdf", filename=f"{statement.number}.pdf"
        )

    @extend_schema(
        summary="Record that a document was paid",
        parameters=[IDEMPOTENCY_KEY],
        request=MarkPaidSerializer,
        responses={
            200: InvoiceSerializer,
            404: None,
            409: OpenApiResponse(description="key reused with another body"),
        },
    )
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, number=None):
        statement = self.get_object()
        if not can_record_payments(request.user):
            raise PermissionDenied("only the buyer's finance users record payments")
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ValidationError({"Idempotency-Key": "this header is required"})
        body_hash = hashlib.sha256(
            json.dumps({"number": number, "body": request.data}, sort_keys=True, default=str).encode()
        ).hexdigest()
        stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if stored is not None:
            if stored.request_hash != body_hash:
                return Response(
                    {"detail": "Idempotency-Key was used with another request"},
                    status=status.HTTP_409_CONFLICT,
                )
            return Response(stored.response_body, status=stored.response_status)
        serializer = MarkPaidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                paid = services.statement_mark_paid(
                    statement_id=statement.pk, paid_at=serializer.validated_data.get("paid_at")
                )
                body = InvoiceSerializer(self.get_queryset().get(pk=paid.pk)).data
                IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    request_hash=body_hash,
                    response_status=200,
                    response_body=body,
                )
        except services.BillingError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except IntegrityError:  # the same key raced in from a parallel request: replay it
            stored = IdempotencyKey.objects.get(user=request.user, key=key)
            return Response(stored.response_body, status=stored.response_status)
        return Response(body)
