"""The finance API's representations of issued documents.

``InvoiceSerializer`` is the reference representation (detail, mark-paid and the OpenAPI
schema); ``invoice_documents`` builds the same JSON for a page of the list from two value
queries, without model instances or nested serializers.
"""

from collections import defaultdict
from functools import lru_cache

from django.utils import timezone
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from contracts.selectors import currency_decimal_places
from pricing.money import quantum

from .exports import format_amount
from .models import Statement, StatementLine


class LineSerializer(serializers.ModelSerializer):
    component = serializers.CharField(source="component_id")
    amount = serializers.SerializerMethodField()

    class Meta:
        model = StatementLine
        fields = ["position", "component", "kind", "kpi", "amount", "explanation"]

    def get_amount(self, line) -> str:
        return format_amount(line.amount, str(line.statement.currency))


class InvoiceSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="contract.reference")
    buyer = serializers.CharField(source="contract.buyer.code")
    supplier = serializers.CharField(source="contract.supplier.code")
    adjusts = serializers.CharField(source="adjusts.number", allow_null=True, default=None)
    net = serializers.SerializerMethodField()
    tax = serializers.SerializerMethodField()
    gross = serializers.SerializerMethodField()
    currency = serializers.CharField()
    lines = LineSerializer(many=True)

    class Meta:
        model = Statement
        fields = [
            "number",
            "document_type",
            "status",
            "contract",
            "buyer",
            "supplier",
            "period",
            "currency",
            "net",
            "tax",
            "gross",
            "tax_rate",
            "issue_date",
            "due_date",
            "paid_at",
            "adjusts",
            "lines",
        ]

    def get_net(self, statement) -> str:
        return format_amount(statement.net, str(statement.currency))

    def get_tax(self, statement) -> str:
        return format_amount(statement.tax, str(statement.currency))

    def get_gross(self, statement) -> str:
        return format_amount(statement.gross, str(statement.currency))


# Response field → the ``Statement`` lookup it is read from, in response order.
INVOICE_VALUES = {
    "number": "number",
    "document_type": "document_type",
    "status": "status",
    "contract": "contract__reference",
    "buyer": "contract__buyer__code",
    "supplier": "contract__supplier__code",
    "period": "period",
    "currency": "currency",
    "net": "net",
    "tax": "tax",
    "gross": "gross",
    "tax_rate": "tax_rate",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "paid_at": "paid_at",
    "adjusts": "adjusts__number",
}
LINE_VALUES = ("position", "component_id", "kind", "kpi", "amount", "explanation")
AMOUNTS = ("net", "tax", "gross")


@lru_cache(maxsize=64)
def _currency_quantum(currency: str):
    return quantum(currency_decimal_places(currency))


@lru_cache(maxsize=1)
def _rendered_fields():
    """``InvoiceSerializer``'s own fields for the values DRF formats (built once: they hold no state)."""
    fields = InvoiceSerializer().fields
    return tuple(fields[name] for name in ("tax_rate", "issue_date", "due_date", "paid_at"))


def invoice_documents(statement_ids) -> list[dict]:
    """The representations of the statements ``statement_ids``, in that order, lines included.

    Equal to ``InvoiceSerializer(many=True)`` field for field (money as strings with the
    currency's decimal places, dates and times as DRF renders them), from two queries: one
    for the statements with their contract's parties, one for all their lines. The caller
    has already chosen and ordered the ids (a page of the list), so the query that sorts
    and skips carries ids only.
    """
    statement_ids = list(statement_ids)
    order = {statement_id: index for index, statement_id in enumerate(statement_ids)}
    rows = sorted(
        Statement.objects.filter(pk__in=statement_ids).values("pk", *INVOICE_VALUES.values()),
        key=lambda row: order[row["pk"]],
    )
    tax_rate, issue_date, due_date, paid_at = _rendered_fields()
    lines: dict[int, list[dict]] = defaultdict(list)
    currencies = {row["pk"]: _currency_quantum(str(row["currency"])) for row in rows}
    for statement_id, position, component, kind, kpi, amount, explanation in (
        StatementLine.objects.filter(statement_id__in=list(currencies))
        .order_by("statement_id", "position")
        .values_list("statement_id", *LINE_VALUES)
    ):
        lines[statement_id].append(
            {
                "position": position,
                "component": component,
                "kind": kind,
                "kpi": kpi,
                "amount": str(amount.quantize(currencies[statement_id])),
                "explanation": explanation,
            }
        )
    documents = []
    for row in rows:
        minor_unit = currencies[row["pk"]]
        document = {field: row[lookup] for field, lookup in INVOICE_VALUES.items()}
        document["currency"] = str(document["currency"])
        for amount in AMOUNTS:
            document[amount] = str(document[amount].quantize(minor_unit))
        document["tax_rate"] = tax_rate.to_representation(document["tax_rate"])
        document["issue_date"] = issue_date.to_representation(document["issue_date"])
        document["due_date"] = due_date.to_representation(document["due_date"])
        document["paid_at"] = paid_at.to_representation(document["paid_at"])
        document["lines"] = lines[row["pk"]]
        documents.append(document)
    return documents


class MarkPaidSerializer(serializers.Serializer):
    """``context["issue_date"]``: the document's issue date, the earliest day it can be paid."""

    paid_at = serializers.DateTimeField(
        required=False,
        help_text="When the payment was made; default now. Not before the issue date, not in the future.",
    )

    def validate_paid_at(self, paid_at):
        if paid_at > timezone.now():
            raise serializers.ValidationError("a payment cannot be in the future")
        issue_date = self.context["issue_date"]
        if timezone.localdate(paid_at) < issue_date:
            raise serializers.ValidationError(f"a payment cannot be before the issue date {issue_date}")
        return paid_at


ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})

# DRF's validation errors: field name (or ``detail``, ``non_field_errors``, a header name) →
# one message or a list of messages.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}
