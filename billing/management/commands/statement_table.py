from django.core.management.base import BaseCommand

from billing.models import Statement
from core.formatting import money_display


class Command(BaseCommand):
    help = (
        "Print every statement with its totals, by contract and period, for reading: amounts in "
        "each statement's currency (£13,300.00). Machines read export_statements' JSON instead."
    )

    def handle(self, *args, **options):
        header = f"{'number':<22} {'contract':<18} {'period':<7} {'type':<11} {'status':<8} {'net':>16} {'tax':>15} {'gross':>16} cur  adjusts"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        statements = Statement.objects.select_related("contract", "adjusts").order_by(
            "contract__reference", "period", "pk"
        )
        for s in statements:
            net, tax, gross = (money_display(amount, s.currency) for amount in (s.net, s.tax, s.gross))
            self.stdout.write(
                f"{s.number or '(draft)':<22} {s.contract.reference:<18} {s.period:<7} {s.document_type:<11} "
                f"{s.status:<8} {net:>16} {tax:>15} {gross:>16} {s.currency}  "
                f"{s.adjusts.number if s.adjusts_id else ''}"
            )
