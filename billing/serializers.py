"""The finance API's JSON of a statement document (:mod:`billing.documents`).

An issued document's immutable fields are rendered once, when it is issued, and kept on the
row (``frozen_representation``), as the PDF is; its status and payment, which change after
issue, are composed with that text by one function (``invoice_text``) when it is served.
Documents issued before the text was kept have it built from their document instead.
``InvoiceSerializer`` is the OpenAPI schema of the same JSON, and renders it from the document.
"""

import json

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from .document_json import (
    ACTOR_FIELDS,
    ISSUED_PARTY_FIELDS,
    LIVE_FIELDS,
    PDF_URL_FIELD,
    QUERIED_FIELD,
    actors_of,
    document_parties_text,
    frozen_data,
    invoice_data,
    invoice_text,
    issued_parties_text,
    render_json,
)
from .documents import IdsQuery, document, documents, rows_by_ids
from .models import Statement, StatementEvent, StatementLine
from .query_selectors import open_query_exists, queried_statement_ids


class LineSerializer(serializers.ModelSerializer):
    component = serializers.CharField(source="component_id")
    amount = serializers.CharField(read_only=True)

    class Meta:
        model = StatementLine
        fields = ["position", "component", "kind", "kpi", "amount", "explanation"]


class PartySerializer(serializers.Serializer):
    """A party as the document was issued to it ("" where it had none, or the document was
    issued before the detail was kept)."""

    name = serializers.CharField()
    address = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    vat_number = serializers.CharField()
    registration_number = serializers.CharField(help_text="Company registration number.")


class InvoiceSerializer(serializers.ModelSerializer):
    """The schema of a document's JSON; a statement is rendered from its document."""

    contract = serializers.CharField(source="contract.reference")
    buyer = serializers.CharField(source="contract.buyer.code")
    supplier = serializers.CharField(source="contract.supplier.code")
    adjusts = serializers.CharField(source="adjusts.number", allow_null=True, default=None)
    net = serializers.CharField(read_only=True)
    tax = serializers.CharField(read_only=True)
    gross = serializers.CharField(read_only=True)
    currency = serializers.CharField()
    lines = LineSerializer(many=True)
    approved_by = serializers.CharField(
        source="approved_by.username",
        allow_null=True,
        default=None,
        help_text="Who approved it (frozen at issue).",
    )
    issued_by = serializers.CharField(
        source="issued_by.username",
        allow_null=True,
        default=None,
        help_text="Who issued it (frozen at issue).",
    )
    paid_by = serializers.CharField(
        source="paid_by.username", allow_null=True, default=None, help_text="Who recorded its payment."
    )
    queried = serializers.BooleanField(
        read_only=True,
        help_text="Whether a query of the supplier on the document is open (live: false once "
        "procurement resolves it).",
    )
    buyer_details = PartySerializer(read_only=True, help_text="The buyer as the document was issued to it.")
    supplier_details = PartySerializer(
        read_only=True, help_text="The supplier as the document was issued to it."
    )
    buyer_reference = serializers.CharField(
        read_only=True,
        help_text='The buyer\'s reference or purchase-order number as issued ("" when none was kept).',
    )
    pdf_url = serializers.URLField(read_only=True, help_text="The absolute URL of the document's PDF.")

    class Meta:
        model = Statement
        fields = [
            "number",
            "document_type",
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
            "adjusts",
            "lines",
            "status",
            "paid_at",
            *ACTOR_FIELDS,
            QUERIED_FIELD,
            *ISSUED_PARTY_FIELDS,
            PDF_URL_FIELD,
        ]

    def to_representation(self, instance: Statement) -> dict:
        request = self.context.get("request")
        return invoice_data(
            document(instance),
            queried=bool(queried_statement_ids([instance.pk])),
            pdf_url=pdf_url_of(request)(instance.number) if request is not None else None,
        )


def pdf_url_of(request):
    """A function of a document number to the absolute URL of its PDF on the API, for the
    host ``request`` was made to (the route reversed once: a page builds hundreds)."""
    placeholder = "NUMBER"
    template = request.build_absolute_uri(reverse("invoice-pdf", kwargs={"number": placeholder}))
    head, _, tail = template.rpartition(placeholder)
    return lambda number: f"{head}{number}{tail}"


def _frozen_of_earlier_form(text: str) -> str:
    """A text kept before the live fields were left out of it (the whole JSON as issued,
    status and payment included) as the frozen text it holds."""
    return render_json(
        {key: value for key, value in json.loads(text).items() if key not in (*LIVE_FIELDS, *ACTOR_FIELDS)}
    )


def _is_earlier_form(text: str) -> bool:
    """Whether ``text`` has a ``"status"`` key: in a JSON text a key's quote cannot appear
    inside a string, and the earlier form's third key is the status, after a number of at
    most 40 characters (escaped, at most 6 each) and the document type, so within its first
    ``EARLIER_FORM_HEAD`` characters (looking no further keeps a page's check cheap)."""
    return text.find(',"status":', 0, EARLIER_FORM_HEAD) >= 0


EARLIER_FORM_HEAD = 320

FROZEN = IdsQuery(
    Statement,
    "pk",
    # ``queried`` is an EXISTS of the document's open queries: no parameter of its own, so on
    # PostgreSQL the compiled query still takes the ids as its one parameter.
    lambda rows: (
        rows.order_by()
        .annotate(queried=open_query_exists())
        .values_list(
            "pk",
            "status",
            "paid_at",
            "api_representation",
            "queried",
            "approved_by__username",
            "issued_by__username",
            "paid_by__username",
            "number",
            "buyer_details",
            "supplier_details",
        )
    ),
)


def invoice_json(statement_ids, request=None) -> list[str]:
    """The JSON texts of the documents ``statement_ids``, in that order (unknown ids left out):
    each frozen text composed with its current status and payment, the parties as kept at
    issue and, given the ``request``, its PDF's URL. One query for documents whose text was
    kept at issue; three more, for the page, for those issued before it was."""
    statement_ids = list(statement_ids)
    url = pdf_url_of(request) if request is not None else (lambda number: None)
    texts = {}
    unfrozen = []
    queried = {}
    for pk, status, paid_at, text, is_queried, *actors, number, buyer_details, supplier_details in (
        rows_by_ids(FROZEN, statement_ids) if statement_ids else ()
    ):
        queried[pk] = bool(is_queried)
        if text is None:
            unfrozen.append(pk)
            continue
        if _is_earlier_form(text):
            text = _frozen_of_earlier_form(text)
        parties = issued_parties_text(_json_value(buyer_details), _json_value(supplier_details))
        texts[pk] = invoice_text(text, status, paid_at, tuple(actors), queried[pk], parties, url(number))
    for pk, unfrozen_document in documents(unfrozen).items():
        texts[pk] = invoice_text(
            render_json(frozen_data(unfrozen_document)),
            unfrozen_document.status,
            unfrozen_document.paid_at,
            actors_of(unfrozen_document),
            queried[pk],
            document_parties_text(unfrozen_document),
            url(unfrozen_document.number),
        )
    return [texts[statement_id] for statement_id in statement_ids if statement_id in texts]


def _json_value(value):
    """A JSON column as read by ``values_list``: a dict, or its text where a database path
    gives text."""
    return json.loads(value) if isinstance(value, str) else value


def invoice_document(statement_id: int, request=None) -> dict:
    """One document's JSON, as the list gives it."""
    return json.loads(invoice_json([statement_id], request)[0])


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


class StatementEventSerializer(serializers.ModelSerializer):
    """One entry of a document's history: what happened, who did it and when."""

    number = serializers.SerializerMethodField(
        help_text="The document's number, as its detail route names it."
    )
    actor = serializers.CharField(
        source="actor.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Who did it (`system` for scheduled runs); null when no user was named.",
    )
    revision = serializers.IntegerField(
        read_only=True,
        help_text="The revision of the month the event was about (each re-priced draft and adjustment has its own).",
    )
    detail = serializers.DictField(
        read_only=True, help_text="What the event records, by kind (for example `number`, `reason`)."
    )

    class Meta:
        model = StatementEvent
        fields = ["kind", "at", "actor", "number", "revision", "detail"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_number(self, event: StatementEvent) -> str:
        """``context["number"]``, the document's: it names every event of the history, those
        of the drafts that led to it (rows of their own, deleted when re-priced) included."""
        return self.context["number"]


ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})

# DRF's validation errors: field name (or ``detail``, ``non_field_errors``, a header name) →
# one message or a list of messages.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}
