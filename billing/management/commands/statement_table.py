from django.core.management.base import BaseCommand

from billing.models import Statement


class Command(BaseCommand):
    help = "Print every statement with its totals, by contract and period."

    def handle(self, *args, **options):
        header = f"{'number':<22} {'contract':<18} {'period':<7} {'type':<11} {'status':<8} {'net':>13} {'tax':>12} {'gross':>13} cur  adjusts"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        statements = Statement.objects.select_related("contract", "adjusts").order_by(
            "contract__reference", "period", "pk"
        )
        for s in statements:
            self.stdout.write(
                f"{s.number or '(draft)':<22} {s.contract.reference:<18} {s.period:<7} {s.document_type:<11} "
                f"{s.status:<8} {s.net:>13,.2f} {s.tax:>12,.2f} {s.gross:>13,.2f} {s.currency}  "
                f"{s.adjusts.number if s.adjusts_id else ''}"
            )
