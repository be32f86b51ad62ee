"""The finance API's journal: ``GET /api/v1/journal/?period=YYYY-MM&format=csv|xlsx|json``.

The documents are those the caller may see (``permissions.visible_statements``, as the
invoice list): a finance or procurement user its buyer's, a superuser every buyer's. The
journal is the buyer's books, so a supplier's user is refused (403). A missing or bad period
or format is a 400 naming the parameter.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from pricing.period import Period

from .api import COMMON_ERRORS
from .journal import journal_statement_ids
from .journal_admin import journal_file_response
from .journal_files import CONTENT_TYPES, FORMATS
from .permissions import visible_statements
from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer


class JournalQuerySerializer(serializers.Serializer):
    period = serializers.CharField(max_length=7, help_text="YYYY-MM")
    format = serializers.ChoiceField(choices=FORMATS, default="json")

    def validate_period(self, value: str) -> Period:
        try:
            return Period.parse(value)
        except ValueError:
            raise serializers.ValidationError("expected a period as YYYY-MM") from None


class JournalView(APIView):
    """The journal of one period (docs/api.md, *Journal*)."""

    def perform_content_negotiation(self, request, force=False):
        """JSON whatever is asked: ``format`` here chooses the file, not a renderer (DRF would
        answer ``format=csv`` with a 404 for want of one), the files are written by the view
        itself, and errors are JSON in every format."""
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        summary="A period's journal: each document line with its GL code, balanced per document",
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("format", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=list(FORMATS)),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="A bad or missing period or format"),
            403: OpenApiResponse(
                ErrorSerializer, description="A supplier's user: the journal is the buyer's"
            ),
            **COMMON_ERRORS,
        },
    )
    def get(self, request):
        membership = getattr(request.user, "membership", None)
        if membership is not None and membership.role == "supplier":
            raise PermissionDenied("the journal is the buyer's: a supplier's user cannot read it")
        query = JournalQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        period, file_format = query.validated_data["period"], query.validated_data["format"]
        ids = journal_statement_ids(statements=visible_statements(request.user), period=period)
        return journal_file_response(statement_ids=ids, period=period, file_format=file_format)
