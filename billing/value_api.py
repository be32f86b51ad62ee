"""The API's value reads (docs/api.md, *Value*):

- ``GET /api/v1/contracts/{reference}/value/?from=YYYY-MM&to=YYYY-MM``: a contract's months,
  for its buyer's finance and procurement users and its supplier's users (from the documents
  issued to that supplier), a superuser; another party's contract is a 404.
- ``GET /api/v1/portfolio/?year=YYYY``: the caller's buyer's contracts over a year, for the
  buyer's finance and procurement users (a superuser: every buyer's); a supplier's user is
  refused (403).

Thin views: the parameters are checked strictly (a 400 naming the parameter), the numbers
are :mod:`billing.value`'s and :mod:`billing.portfolio`'s.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.models import Contract, Membership
from contracts.selectors import currency_decimal_places
from contracts.tenancy import EVERYTHING, buyer_scope
from pricing.money import quantum
from pricing.period import Period
from pricing.value import PayBucket

from .accruals import AccrualScopeError, accrual_buyer_id
from .api import COMMON_ERRORS
from .permissions import visible_statements
from .portfolio import FIRST_YEAR, LAST_YEAR, portfolio, portfolio_years
from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer
from .value import COUNTING, value_months, value_totals
from .value_pages import value_range


def _amount(value: Decimal | None, places: int) -> str | None:
    return None if value is None else str(value.quantize(quantum(places)))


def _pay(pay, places: int) -> dict[str, str]:
    return {bucket.value: _amount(pay[bucket], places) for bucket in PayBucket}


class ValueQuerySerializer(serializers.Serializer):
    from_ = serializers.CharField(required=False, max_length=7, allow_blank=True)
    to = serializers.CharField(required=False, max_length=7, allow_blank=True)

    def to_internal_value(self, data):
        return super().to_internal_value({"from_": data.get("from", ""), "to": data.get("to", "")})

    def _month(self, value: str) -> Period | None:
        if not value:
            return None
        try:
            return Period.parse(value)
        except ValueError:
            raise serializers.ValidationError("expected a month as YYYY-MM") from None

    validate_from_ = _month
    validate_to = _month


def contract_and_scope(user, reference: str) -> tuple[Contract, dict] | None:
    """The contract ``reference`` and the ``Statement`` lookups of the documents ``user`` may
    count from, or ``None`` when the user may not see it (see the module docstring)."""
    membership = getattr(user, "membership", None)
    contract = Contract.objects.filter(reference=reference).first()
    if contract is None:
        return None
    if membership is not None and membership.role == Membership.Role.SUPPLIER:
        scope = {"supplier_id": membership.organisation_id}
        visible = visible_statements(user).filter(contract_id=contract.pk, status__in=COUNTING).exists()
        return (contract, scope) if visible else None
    if membership is not None and membership.role == Membership.Role.FINANCE:
        buyer_id = membership.organisation_id
    else:
        scope = buyer_scope(user)
        if scope is EVERYTHING:
            return contract, {}
        buyer_id = scope
    if buyer_id is None or contract.buyer_id != buyer_id:
        return None
    return contract, {"buyer_id": buyer_id}


class ContractValueView(APIView):
    @extend_schema(
        summary="A contract's value created, its split and the supplier's pay by kind, month by month",
        parameters=[
            OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter(
                "from", OpenApiTypes.STR, OpenApiParameter.QUERY, description="YYYY-MM, inclusive"
            ),
            OpenApiParameter(
                "to", OpenApiTypes.STR, OpenApiParameter.QUERY, description="YYYY-MM, inclusive"
            ),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The months (docs/api.md, *Value*)"),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="A month or range that is not valid"),
            404: OpenApiResponse(
                ErrorSerializer, description="No such contract among those the caller may see"
            ),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, reference: str):
        query = ValueQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError({key.rstrip("_"): value for key, value in query.errors.items()})
        found = contract_and_scope(request.user, reference)
        if found is None:
            raise NotFound("No such contract.")
        contract, scope = found
        try:
            first, last = value_range(
                contract=contract,
                first=query.validated_data.get("from_"),
                last=query.validated_data.get("to"),
                scope=scope,
            )
        except ValueError as error:
            raise ValidationError({"from": [str(error)]}) from None
        months = value_months(
            scope={**scope, "contract_id": contract.pk},
            rounding={contract.pk: contract.rounding},
            first=first,
            last=last,
        )
        currency = str(contract.currency)
        places = currency_decimal_places(currency)
        totals = value_totals(months).get(currency)
        return Response(
            {
                "contract": contract.reference,
                "currency": currency,
                "from": str(first),
                "to": str(last),
                "months": [
                    {
                        "period": month.period,
                        "value_created": _amount(month.split.value, places),
                        "supplier_share": _amount(month.split.supplier_share, places),
                        "buyer_retained": _amount(month.split.buyer_retained, places),
                        "pay": _pay(month.pay, places),
                        "total": _amount(month.total, places),
                    }
                    for month in months
                ],
                "totals": None if totals is None else _totals_json(totals, places),
            }
        )


def _totals_json(totals, places: int) -> dict:
    return {
        "value_created": _amount(totals.value, places),
        "supplier_share": _amount(totals.supplier_share, places),
        "buyer_retained": _amount(totals.buyer_retained, places),
        "pay": _pay(totals.pay, places),
        "total": _amount(totals.total, places),
    }


def _mix(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class PortfolioQuerySerializer(serializers.Serializer):
    year = serializers.RegexField(r"^[0-9]{4}$", required=False, allow_blank=True, max_length=4)

    def validate_year(self, value: str) -> int | None:
        if not value:
            return None
        if not FIRST_YEAR <= int(value) <= LAST_YEAR:
            raise serializers.ValidationError(f"a year from {FIRST_YEAR} to {LAST_YEAR}")
        return int(value)


class PortfolioView(APIView):
    @extend_schema(
        summary="The buyer's contracts over a year: pay by kind, value created, and the part for results",
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="YYYY; the latest year with documents when absent",
            )
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The portfolio (docs/api.md, *Portfolio*)"),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="A year that is not valid"),
            403: OpenApiResponse(
                ErrorSerializer, description="Only the buyer's finance and procurement users"
            ),
            **COMMON_ERRORS,
        },
    )
    def get(self, request):
        query = PortfolioQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            buyer_id = accrual_buyer_id(request.user)
        except AccrualScopeError:
            raise PermissionDenied(
                "only the buyer's finance and procurement users see the portfolio"
            ) from None
        year = query.validated_data.get("year")
        if year is None:
            years = portfolio_years(buyer_id=buyer_id)
            year = years[0] if years else None
        parts = [] if year is None else portfolio(buyer_id=buyer_id, year=year)
        return Response({"year": year, "currencies": [_currency_json(part) for part in parts]})


def _currency_json(part) -> dict:
    places = currency_decimal_places(part.currency)
    return {
        "currency": part.currency,
        **_totals_json(part.totals, places),
        "for_results_percent": _mix(part.mix),
        "months": [
            {
                "period": month.period,
                "pay": _pay(month.pay, places),
                "for_results_percent": _mix(month.mix),
            }
            for month in part.months
        ],
        "contracts": [
            {
                "contract": row.contract.reference,
                "supplier": row.contract.supplier.name,
                **_totals_json(row.totals, places),
                "for_results_percent": _mix(row.mix),
            }
            for row in part.contracts
        ],
    }
