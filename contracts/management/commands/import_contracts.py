from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contracts.schema import ContractFileError
from contracts.services import contract_import


class Command(BaseCommand):
    help = (
        "Import contract files (YAML, or JSON by the .json suffix). Each file is atomic on its own: a file "
        "with any problem imports nothing and its problems are listed; the other files are still imported. "
        "Importing an unchanged file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="contract files")

    def handle(self, *args, files, **options):
        failed = 0
        for path in files:
            try:
                result = contract_import(path=path)
            except ContractFileError as error:
                failed += 1
                for line in error.lines():
                    self.stderr.write(self.style.ERROR(line))
                continue
            detail = (
                f" ({'; '.join(result.changes)})" if result.changes and result.status == "updated" else ""
            )
            self.stdout.write(f"{path}: {result.reference} {result.status}{detail}")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) refused; nothing was imported from them")
