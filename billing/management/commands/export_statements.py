import json

from django.core.management.base import BaseCommand, CommandError

from billing.exports import statements_export
from pricing.period import Period


class Command(BaseCommand):
    help = "Print the month's statements as JSON, ordered by contract reference. Default status: all."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--status", choices=["issued", "draft", "all"], default="all")

    def handle(self, *args, period, status, **options):
        try:
            month = Period.parse(period)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            json.dumps(statements_export(period=month, status=status), indent=2, ensure_ascii=False)
        )
