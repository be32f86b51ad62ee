"""``/api/v1/kpi-batches/``: the supplier's or buyer's systems submit KPI files (``POST``) and
follow what became of them (``GET``: their organisation's batches, a review's outcome included)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, mixins, serializers, status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api_params import StrictPageNumberPagination
from core.uploads import upload_refusal

from .access import NotActingForAnyone, batches_submitted_for, kpi_submittable_contract_ids
from .ingest import size_problem
from .services import kpi_batch_ingest


class KpiFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX KPI file")
    dry_run = serializers.BooleanField(required=False, default=False)


RowErrorSerializer = inline_serializer(
    "KpiRowError",
    {
        "row": serializers.IntegerField(),
        "column": serializers.CharField(),
        "problem": serializers.CharField(),
    },
)
HeldMonthSerializer = inline_serializer(
    "KpiHeldMonth",
    {
        "contract": serializers.CharField(),
        "period": serializers.CharField(),
        "changes": inline_serializer(
            "KpiHeldChange",
            {
                "kpi": serializers.CharField(),
                "was": serializers.CharField(allow_null=True, help_text="As issued; null: not measured"),
                "now": serializers.CharField(allow_null=True, help_text="As submitted"),
            },
            many=True,
        ),
    },
    many=True,
)
BatchSerializer = inline_serializer(
    "KpiBatchResult",
    {
        "status": serializers.ChoiceField(["accepted", "pending_review", "duplicate", "dry_run"]),
        "batch": serializers.IntegerField(allow_null=True),
        "file_name": serializers.CharField(),
        "row_count": serializers.IntegerField(),
        "contracts": serializers.ListField(child=serializers.CharField()),
        "periods": serializers.ListField(child=serializers.CharField()),
        "held_months": HeldMonthSerializer,
    },
)


class SubmittedBatchSerializer(serializers.Serializer):
    """A batch as its submitter's organisation sees it."""

    id = serializers.IntegerField()
    file_name = serializers.CharField()
    status = serializers.ChoiceField(["accepted", "pending", "rejected"])
    party = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True, default=None)
    uploaded_at = serializers.DateTimeField()
    row_count = serializers.IntegerField()
    contracts = serializers.ListField(child=serializers.CharField())
    periods = serializers.ListField(child=serializers.CharField())
    held_months = HeldMonthSerializer
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_reason = serializers.CharField()


class BatchPagination(StrictPageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


RejectedSerializer = inline_serializer(
    "KpiFileRejected",
    {
        "status": serializers.CharField(),
        "file_name": serializers.CharField(),
        "error_count": serializers.IntegerField(),
        "errors": inline_serializer(
            "KpiRowError",
            {
                "row": serializers.IntegerField(),
                "column": serializers.CharField(),
                "problem": serializers.CharField(),
            },
            many=True,
        ),
    },
)


# DRF's error body, inline: the finance API's ``Error`` component lives in the billing app.
ERROR_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
# A query parameter that is not valid (core.api_params): its name → messages.
PARAMETER_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def request_rejected(field_errors: dict) -> Response:
    """A 400 in the shape of a refused file: one error per message, row 0, the field as column."""
    errors = [
        {"row": 0, "column": field, "problem": str(message)}
        for field, messages in field_errors.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]
    body = {"status": "rejected", "file_name": "", "error_count": len(errors), "errors": errors}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def allowed_contract_ids(user):
    """Contracts ``user`` may submit KPIs for (``kpis.access``); ``None`` for every contract.

    Raises ``PermissionDenied`` for a user who acts for no organisation.
    """
    try:
        return kpi_submittable_contract_ids(user=user)
    except NotActingForAnyone as error:
        raise PermissionDenied(str(error)) from None


class KpiBatchCreateView(mixins.ListModelMixin, generics.GenericAPIView):
    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated]
    serializer_class = SubmittedBatchSerializer
    pagination_class = BatchPagination
    filter_backends = []

    def get_queryset(self):
        return batches_submitted_for(self.request.user)

    @extend_schema(
        summary="List your organisation's KPI batches",
        description="Newest first, with each one's status: accepted, pending (a supplier's file that changes "
        "an issued month waits for the buyer's review), or rejected (with the reviewer's reason).",
        responses={
            200: SubmittedBatchSerializer(many=True),
            400: OpenApiResponse(
                PARAMETER_ERROR_SCHEMA, description="A `page` or `page_size` that is not valid"
            ),
            401: OpenApiResponse(ERROR_SCHEMA),
            404: OpenApiResponse(ERROR_SCHEMA, description="No such page"),
        },
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        summary="Submit a KPI file",
        description="The whole file is checked first; a file with any problem changes nothing. Rows may name only "
        "contracts the caller's organisation is party to (a supplier: as supplier; finance and procurement: as "
        "buyer); any other contract is reported exactly as an unknown one, before the file is compared with "
        "files already ingested. A supplier submits only the KPIs its contracts source from the supplier (survey "
        "and revenue figures are the buyer's unless the contract says otherwise); a supplier's file that changes a "
        "month already issued is stored `pending_review` and changes nothing until the buyer accepts it.",
        request={"multipart/form-data": KpiFileUploadSerializer},
        responses={
            201: OpenApiResponse(
                BatchSerializer,
                description="Stored: `accepted`, or `pending_review` for a supplier's file that changes an "
                "issued month (`held_months`): it counts once the buyer accepts it",
            ),
            200: OpenApiResponse(BatchSerializer, description="Already ingested (same file), or a dry run"),
            400: OpenApiResponse(
                RejectedSerializer,
                description="The file was refused, or the request carries no usable file (then each problem "
                "is reported with row 0 and the form field's name as its column)",
            ),
            401: OpenApiResponse(ERROR_SCHEMA, description="No token, or an unknown one"),
            403: OpenApiResponse(ERROR_SCHEMA, description="The caller acts for no organisation"),
            413: OpenApiResponse(
                RejectedSerializer,
                description="The upload is over `KPI_FILE_MAX_BYTES`: stopped as soon as it passed the limit, "
                "nothing of it kept (one problem, row 0, column `file`)",
            ),
            415: OpenApiResponse(ERROR_SCHEMA, description="The body is not multipart/form-data"),
            429: OpenApiResponse(
                ERROR_SCHEMA, description="Too many requests: retry after `Retry-After` seconds"
            ),
        },
    )
    def post(self, request):
        try:
            serializer = KpiFileUploadSerializer(data=request.data)  # not the list's serializer
        except ParseError as error:
            return request_rejected({"file": [str(error.detail)]})
        if (refusal := upload_refusal(request._request)) is not None:  # stopped as it arrived
            body = {
                "status": "rejected",
                "file_name": "",
                "error_count": 1,
                "errors": [{"row": 0, "column": "file", "problem": refusal}],
            }
            return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        if not serializer.is_valid():
            return request_rejected(serializer.errors)
        upload = serializer.validated_data["file"]
        allowed = allowed_contract_ids(request.user)  # 403 before anything about the file
        # Asked before reading: an upload over the limit (kept on disk by Django) is never read.
        if (too_large := size_problem(size=upload.size, max_bytes=settings.KPI_FILE_MAX_BYTES)) is not None:
            body = {
                "status": "rejected",
                "file_name": upload.name,
                "error_count": 1,
                "errors": [{"row": 0, "column": "", "problem": too_large.problem}],
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        result = kpi_batch_ingest(
            file_name=upload.name,
            content=upload.file,  # read in chunks, from disk once it is large
            source="api",
            uploaded_by=request.user,
            allowed_contracts=allowed,
            dry_run=serializer.validated_data["dry_run"],
        )
        if result.status == "rejected":
            errors = [{"row": e.row, "column": e.column, "problem": e.problem} for e in result.errors]
            body = {
                "status": "rejected",
                "file_name": result.file_name,
                "error_count": result.error_count,
                "errors": errors,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        batch = result.batch
        body = {
            "status": result.status,
            "batch": batch.pk if batch else None,
            "file_name": result.file_name,
            "row_count": result.row_count,
            "contracts": batch.contracts if batch else sorted({row.contract for row in result.preview}),
            "periods": batch.periods if batch else sorted({row.period for row in result.preview}),
            "held_months": result.held_months,
        }
        created = result.status in ("accepted", "pending_review")
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
