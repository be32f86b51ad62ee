from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contracts.schema import ContractFileError
from contracts.services import contract_import
from core.users import MAX_USERNAME, active_user_named


class Command(BaseCommand):
    help = (
        "Import contract files (YAML, or JSON by the .json suffix). Each file is atomic on its own: a file "
        "with any problem imports nothing and its problems are listed; the other files are still imported. "
        "Importing an unchanged file changes nothing. Every imported file is recorded with its SHA-256 (shown "
        "as its first 12 hexadecimal digits), the --user who imported it and what it changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="contract files")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="who imports: the author of the changes kept in the history and the importer recorded",
        )

    def handle(self, *args, files, user=None, **options):
        if user is not None:
            username = user
            if len(username) > MAX_USERNAME:
                raise CommandError(f"--user: a username has at most {MAX_USERNAME} characters")
            user = active_user_named(username)
            if user is None:
                raise CommandError(f"--user: no active user {username!r}")
        failed = 0
        for path in files:
            try:
                result = contract_import(path=path, user=user)
            except ContractFileError as error:
                failed += 1
                for line in error.lines():
                    self.stderr.write(self.style.ERROR(line))
                continue
            detail = (
                f" ({'; '.join(result.changes)})" if result.changes and result.status == "updated" else ""
            )
            self.stdout.write(
                f"{path}: {result.reference} {result.status} [sha256 {result.sha256[:12]}]{detail}"
            )
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) refused; nothing was imported from them")
