"""The finance API's representations of issued documents.

``InvoiceSerializer`` is the reference representation (the OpenAPI schema) and renders each
document once, when it is issued: ``frozen_representation`` is kept on the row, as the PDF
is. ``invoice_json`` serves documents from those texts with their current status and payment
put in, and builds the same JSON from two value queries for documents issued before the
representation was kept (``invoice_documents``).
"""

import json
from functools import lru_cache

from django.db import connections
from django.db.models import F, Lookup, OuterRef, Subquery
from django.utils import timezone
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from contracts.models import Contract
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


# Response field → the ``Statement`` value it is read from, in response order (the order
# ``invoice_documents`` unpacks them in). The contract's reference and parties are read by
# subqueries per document rather than joins: a join makes PostgreSQL hash all contracts to
# find a page's hundred.
INVOICE_VALUES = {
    "number": "number",
    "document_type": "document_type",
    "status": "status",
    "contract": "contract_reference",
    "buyer": "contract_buyer",
    "supplier": "contract_supplier",
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


@lru_cache(maxsize=64)
def _currency_quantum(currency: str):
    return quantum(currency_decimal_places(currency))


@lru_cache(maxsize=1)
def _rendered_fields():
    """``InvoiceSerializer``'s own fields for the values DRF formats (built once: they hold no state)."""
    fields = InvoiceSerializer().fields
    return tuple(fields[name] for name in ("tax_rate", "issue_date", "due_date", "paid_at"))


def _memoised(render):
    """``render`` remembered per value for one page: a page repeats a few rates and dates."""
    rendered = {}

    def representation(value):
        try:
            return rendered[value]
        except KeyError:
            rendered[value] = result = render(value)
            return result

    return representation


class AnyOf(Lookup):
    """``field = ANY(array)`` on PostgreSQL, ``field IN (...)`` elsewhere: a page's ids as one
    parameter, not one each."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*params, *values]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def _contract_value(lookup: str) -> Subquery:
    return Subquery(Contract.objects.filter(pk=OuterRef("contract_id")).order_by().values(lookup)[:1])


class IdsQuery:
    """A values query whose one parameter is a list of ids (``build(ids)`` makes it).

    On PostgreSQL the ids are a single array parameter, so the SQL does not depend on them:
    the ORM builds it once (per database) and each call runs it with the new ids, the same
    rows as ``build(ids)`` (no value of these queries needs a converter there). Elsewhere each
    call builds the query."""

    def __init__(self, model, build):
        self.model = model
        self.build = build
        self.sql: dict[str, str] = {}

    def rows(self, ids: list[int]) -> list[tuple]:
        connection = connections[self.model.objects.db]
        if connection.vendor != "postgresql":
            return list(self.build(ids))
        sql = self.sql.get(connection.alias)
        if sql is None:
            queryset = self.build(ids)
            sql, params = queryset.query.get_compiler(connection=connection).as_sql()
            if list(params) != [ids]:  # the ids must be the only parameter
                return list(queryset)
            self.sql[connection.alias] = sql
        with connection.cursor() as cursor:
            # The ids as an array literal: PostgreSQL types it from the column it meets.
            cursor.execute(sql, ["{" + ",".join(map(str, map(int, ids))) + "}"])
            return cursor.fetchall()


DOCUMENTS = IdsQuery(
    Statement,
    lambda ids: (
        Statement.objects.filter(AnyOf(F("pk"), ids))
        .order_by()
        .annotate(
            contract_reference=_contract_value("reference"),
            contract_buyer=_contract_value("buyer__code"),
            contract_supplier=_contract_value("supplier__code"),
        )
        .values_list("pk", *INVOICE_VALUES.values())
    ),
)
LINES = IdsQuery(
    StatementLine,
    lambda ids: (
        StatementLine.objects.filter(AnyOf(F("statement_id"), ids))
        .order_by("statement_id", "position")
        .values_list("statement_id", *LINE_VALUES)
    ),
)


def invoice_documents(statement_ids) -> list[dict]:
    """The representations of the statements ``statement_ids``, in that order, lines included.

    Equal to ``InvoiceSerializer(many=True)`` field for field (money as strings with the
    currency's decimal places, dates and times as DRF renders them), from two queries: one
    for the statements with their contract's parties, one for all their lines. The caller
    has already chosen and ordered the ids (a page of the list), so the query that sorts
    and skips carries ids only.
    """
    documents = _documents_by_id(statement_ids)
    return [documents[statement_id] for statement_id in statement_ids if statement_id in documents]


def _documents_by_id(statement_ids) -> dict[int, dict]:
    statement_ids = list(statement_ids)
    if not statement_ids:
        return {}
    tax_rate_field, issue_date_field, due_date_field, paid_at_field = _rendered_fields()
    tax_rate = _memoised(tax_rate_field.to_representation)
    issue_date = _memoised(issue_date_field.to_representation)
    due_date = _memoised(due_date_field.to_representation)
    paid_at = paid_at_field.to_representation
    documents = {}
    minor_units = {}
    for (
        pk,
        number,
        document_type,
        status,
        contract,
        buyer,
        supplier,
        period,
        currency,
        net,
        tax,
        gross,
        rate,
        issued,
        due,
        paid,
        adjusts,
    ) in DOCUMENTS.rows(statement_ids):
        currency = str(currency)
        minor_units[pk] = minor_unit = _currency_quantum(currency)
        documents[pk] = {
            "number": number,
            "document_type": document_type,
            "status": status,
            "contract": contract,
            "buyer": buyer,
            "supplier": supplier,
            "period": period,
            "currency": currency,
            "net": str(net.quantize(minor_unit)),
            "tax": str(tax.quantize(minor_unit)),
            "gross": str(gross.quantize(minor_unit)),
            "tax_rate": tax_rate(rate),
            "issue_date": issue_date(issued),
            "due_date": due_date(due),
            "paid_at": None if paid is None else paid_at(paid),
            "adjusts": adjusts,
            "lines": [],
        }
    current_id = lines = minor_unit = None
    for statement_id, position, component, kind, kpi, amount, explanation in LINES.rows(list(documents)):
        if statement_id != current_id:
            current_id = statement_id
            lines = documents[statement_id]["lines"]
            minor_unit = minor_units[statement_id]
        lines.append(
            {
                "position": position,
                "component": component,
                "kind": kind,
                "kpi": kpi,
                "amount": str(amount.quantize(minor_unit)),
                "explanation": explanation,
            }
        )
    return documents


def render_json(data) -> str:
    """``data`` as the API's JSON renderer writes it (compact, UTF-8 text)."""
    return JSONRenderer().render(data).decode()


def frozen_representation(statement: Statement) -> str:
    """The document's JSON as ``InvoiceSerializer`` gives it, to keep on the row at issue:
    ``statement`` is being issued (status ``issued``, not paid), with its number and dates set."""
    return render_json(InvoiceSerializer(statement).data)


# A frozen representation holds the document as issued. The first occurrence of each of
# these is the key itself: every earlier value is a JSON string, in which a quote is escaped.
AS_ISSUED = ',"status":"issued",'
NOT_PAID = ',"paid_at":null,'

FROZEN = IdsQuery(
    Statement,
    lambda ids: (
        Statement.objects.filter(AnyOf(F("pk"), ids))
        .order_by()
        .values_list("pk", "status", "paid_at", "api_representation")
    ),
)


def invoice_json(statement_ids) -> list[str]:
    """The JSON texts of the documents ``statement_ids``, in that order: each frozen
    representation with its current status and payment put in, or, for a document issued
    before representations were kept, the same JSON built from its values."""
    statement_ids = list(statement_ids)
    paid_at_field = _rendered_fields()[3]
    texts = {}
    unfrozen = []
    for pk, status, paid_at, text in FROZEN.rows(statement_ids) if statement_ids else ():
        if text is None:
            unfrozen.append(pk)
            continue
        if status != "issued":
            text = text.replace(AS_ISSUED, f',"status":{json.dumps(status)},', 1)
        if paid_at is not None:
            text = text.replace(
                NOT_PAID, f',"paid_at":{json.dumps(paid_at_field.to_representation(paid_at))},', 1
            )
        texts[pk] = text
    for pk, document in _documents_by_id(unfrozen).items():
        texts[pk] = render_json(document)
    return [texts[statement_id] for statement_id in statement_ids if statement_id in texts]


def invoice_document(statement_id: int) -> dict:
    """One document's representation, as the list gives it."""
    return json.loads(invoice_json([statement_id])[0])


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
