from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contracts.index_import import MAX_FILE_BYTES, IndexFileError, index_series_create, index_values_import
from core.users import MAX_USERNAME, active_user_named


class Command(BaseCommand):
    help = (
        "Import monthly index values (CPI, a wage index) from a CSV file with the header series,period,value "
        "(or period,value with --series CODE). All or nothing: every bad row is named and a file with any "
        "problem stores nothing. A month already held with another value is a revision, refused unless "
        "--revise is given. The months that read a value added or revised are priced again (issued ones as "
        "corrections)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a CSV file")
        parser.add_argument(
            "--series", metavar="CODE", help="the series of every row (the file may then omit it)"
        )
        parser.add_argument(
            "--name", help="with --series: create the series with this name when it does not exist"
        )
        parser.add_argument("--publisher", default="", help="with --name: who publishes the series")
        parser.add_argument("--unit", default="", help="with --name: the series' unit, e.g. 2015=100")
        parser.add_argument("--revise", action="store_true", help="allow changing values already imported")
        parser.add_argument(
            "--user", metavar="USERNAME", help="who imports (recorded in the values' history)"
        )

    def handle(
        self, *args, file, series=None, name=None, publisher="", unit="", revise=False, user=None, **options
    ):
        actor = self._user(user)
        if name is not None:
            if series is None:
                raise CommandError("--name creates the series given by --series: give both")
            try:
                index_series_create(code=series, name=name, publisher=publisher, unit=unit)
            except ValueError as error:
                raise CommandError(f"--series/--name: {error}") from None
        try:
            with file.open("rb") as stream:
                content = stream.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise CommandError(f"{file}: cannot read the file: {error.strerror or error}") from None
        try:
            result = index_values_import(
                file_name=str(file), content=content, series_code=series, revise=revise, user=actor
            )
        except IndexFileError as error:
            for line in error.lines():
                self.stderr.write(self.style.ERROR(line))
            raise CommandError(f"{file}: refused; nothing was imported") from None
        for code in sorted(set(result.added) | set(result.revised)):
            added, revised = result.added.get(code, []), result.revised.get(code, [])
            self.stdout.write(
                f"{code}: {len(added)} month(s) added, {len(revised)} revised ({', '.join(revised) or 'none'})"
            )
        self.stdout.write(f"{file}: {result.unchanged} month(s) unchanged")

    def _user(self, username):
        if username is None:
            return None
        if len(username) > MAX_USERNAME:
            raise CommandError(f"--user: a username has at most {MAX_USERNAME} characters")
        user = active_user_named(username)
        if user is None:
            raise CommandError(f"--user: no active user {username!r}")
        return user
