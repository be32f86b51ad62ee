"""The finance API's accruals: ``GET /api/v1/accruals/?period=YYYY-MM&method=...``.

A thin view: it validates the two parameters, decides the caller's buyer
(``billing.accruals.accrual_buyer_id``) and returns ``billing.accruals.accruals_report``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from .accruals import (
    FIRST_YEAR,
    METHODS,
    AccrualScopeError,
    accrual_buyer_id,
    accrual_period,
    accruals_report,
)
from .api import COMMON_ERRORS
from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer


class AccrualQuerySerializer(serializers.Serializer):
    period = serializers.CharField(max_length=7, help_text="YYYY-MM")
    method = serializers.ChoiceField(choices=METHODS)

    def validate_period(self, value: str):
        try:
            return accrual_period(value)
        except ValueError:
            raise serializers.ValidationError(
                f"a period is YYYY-MM from {FIRST_YEAR}-01, for example 2026-04"
            ) from None


class AccrualsView(APIView):
    @extend_schema(
        summary="Accruals of a month: estimates before its KPIs are final, and accrued against actual once issued",
        parameters=[
            OpenApiParameter(
                "period", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="YYYY-MM"
            ),
            OpenApiParameter(
                "method", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, enum=list(METHODS)
            ),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The accruals (docs/api.md, *Accruals*)"),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="A period or method that is not valid"),
            403: OpenApiResponse(
                ErrorSerializer, description="Only the buyer's finance and procurement users"
            ),
            **COMMON_ERRORS,
        },
    )
    def get(self, request):
        query = AccrualQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            buyer_id = accrual_buyer_id(request.user)
        except AccrualScopeError as error:
            raise PermissionDenied(str(error)) from None
        return Response(
            accruals_report(
                period=query.validated_data["period"],
                method=query.validated_data["method"],
                buyer_id=buyer_id,
            )
        )
