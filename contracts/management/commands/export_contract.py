import re
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from contracts.models import Contract
from contracts.services import HistoryGap, contract_export, contract_export_as_of

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
REFERENCE_CHARS = 50  # Contract.reference


def as_of_date(text: str) -> date:
    """``--as-of``'s day, ``YYYY-MM-DD`` in ASCII digits, a real calendar date."""
    if DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    shown = text if len(text) <= 40 else f"{text[:40]}…"
    raise CommandError(f"--as-of: expected a date YYYY-MM-DD, got {shown!r}")


class Command(BaseCommand):
    help = (
        "Print a contract as a contract file (YAML by default). Importing the output changes nothing. "
        f"With --as-of, the contract as it stood at the end of that day ({settings.TIME_ZONE} time), "
        "from the history kept of the contract, its parties, terms versions and components."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="contract reference, e.g. ACME-TEL-001")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help=f"print the contract as it stood at the end of this day, in {settings.TIME_ZONE} time",
        )

    def handle(self, *args, reference, format, as_of=None, **options):
        day = as_of_date(as_of) if as_of is not None else None
        contract = None
        if len(reference) <= REFERENCE_CHARS and "\x00" not in reference:
            contract = (
                Contract.objects.filter(reference=reference).select_related("buyer", "supplier").first()
            )
        if contract is None:
            shown = reference if len(reference) <= REFERENCE_CHARS else f"{reference[:REFERENCE_CHARS]}…"
            raise CommandError(f"no contract with reference {shown!r}")
        if day is None:
            self.stdout.write(contract_export(contract=contract, fmt=format), ending="")
            return
        try:
            text = contract_export_as_of(contract=contract, day=day, fmt=format)
        except HistoryGap as gap:
            raise CommandError(f"{reference}: {gap}; it cannot be printed as it stood on {day}") from None
        if text is None:
            raise CommandError(f"{reference} did not exist on {day}")
        self.stdout.write(text, ending="")
