from django.core.management.base import BaseCommand, CommandError

from contracts.models import Contract
from contracts.services import contract_export


class Command(BaseCommand):
    help = "Print a contract as a contract file (YAML by default). Importing the output changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="contract reference, e.g. ACME-TEL-001")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, reference, format, **options):
        contract = Contract.objects.filter(reference=reference).select_related("buyer", "supplier").first()
        if contract is None:
            raise CommandError(f"no contract with reference {reference!r}")
        self.stdout.write(contract_export(contract=contract, fmt=format), ending="")
