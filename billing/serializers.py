from rest_framework import serializers

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


class MarkPaidSerializer(serializers.Serializer):
    paid_at = serializers.DateTimeField(required=False, help_text="When the payment was made; default now.")
