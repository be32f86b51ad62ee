import csv
import json

from django.core.management.base import BaseCommand, CommandError

from billing.accruals import METHODS, AccrualScopeError, accrual_buyer_id, accrual_period, accruals_report
from billing.actors import user_by_username
from billing.errors import BillingError

CSV_COLUMNS = [
    "period",
    "method",
    "contract",
    "supplier",
    "currency",
    "component",
    "gl_code",
    "cost_centre",
    "estimate",
    "accrued",
    "actual",
    "difference",
]


class Command(BaseCommand):
    help = (
        "Estimate each contract's month before its KPIs are final (an accrual; nothing is written), "
        "and once the month is issued, compare it with what was billed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--method", required=True, choices=METHODS)
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="only the contracts of this finance or procurement user's buyer",
        )

    def handle(self, *args, period, method, format, user=None, **options):
        try:
            month = accrual_period(period)
            buyer_id = accrual_buyer_id(user_by_username(user)) if user is not None else None
        except (ValueError, BillingError, AccrualScopeError) as error:
            raise CommandError(str(error)) from None
        report = accruals_report(period=month, method=method, buyer_id=buyer_id)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in report["contracts"]:
            for component in row["components"]:
                writer.writerow(
                    [
                        report["period"],
                        report["method"],
                        row["contract"],
                        row["supplier"],
                        row["currency"],
                        component["component"],
                        component["gl_code"],
                        component["cost_centre"],
                        "true",
                        component["accrued"],
                        component["actual"] or "",
                        component["difference"] or "",
                    ]
                )
