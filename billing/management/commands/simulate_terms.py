import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.actors import user_by_username
from billing.errors import BillingError
from billing.simulation import SimulationError, simulation_contract, simulation_from_file
from billing.simulation_json import simulation_json, simulation_table
from contracts.schema import MAX_FILE_BYTES

OPTIONS = {"from": "--from", "to": "--to", "kpi": "--kpi"}


class Command(BaseCommand):
    help = (
        "Price a contract's months on the terms of a proposed contract file, beside what each month "
        "cost (nothing is written)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contract", required=True, metavar="REF")
        parser.add_argument(
            "--terms", required=True, metavar="FILE", help="a contract file of the same contract"
        )
        parser.add_argument("--from", dest="first", metavar="YYYY-MM")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM")
        parser.add_argument(
            "--kpi",
            action="append",
            default=[],
            metavar="CODE=EXPR",
            help="csat=+2, contacts_voice=*0.9, service_level=85",
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--user", metavar="USERNAME", help="only a contract of this procurement user's buyer"
        )

    def handle(self, *args, contract, terms, first, last, kpi, format, user=None, **options):
        path = Path(terms)
        try:
            who = user_by_username(user) if user is not None else None
            if not path.is_file():
                raise CommandError(f"{terms}: no such file")
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{terms}: the file is larger than {MAX_FILE_BYTES:,} bytes")
            simulation = simulation_from_file(
                contract=simulation_contract(reference=contract, user=who),
                file_name=path.name,
                content=path.read_bytes(),
                first=first,
                last=last,
                what_ifs=kpi,
            )
        except BillingError as error:
            raise CommandError(str(error)) from None
        except SimulationError as error:
            # The file's problems name the file and key; the others are an option's.
            option = OPTIONS.get(error.field)
            raise CommandError("\n".join(f"{option}: {m}" if option else m for m in error.messages)) from None
        document = simulation_json(simulation)
        if format == "json":
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(simulation_table(document))
