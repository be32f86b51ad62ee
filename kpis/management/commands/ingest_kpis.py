from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.users import active_user_named
from kpis.access import NotActingForAnyone, kpi_submittable_contract_ids
from kpis.ingest import size_problem
from kpis.services import kpi_batch_ingest


class Command(BaseCommand):
    help = (
        "Ingest a KPI file (CSV in UTF-8, or XLSX) as one batch. The whole file is checked first: a file "
        "with any problem changes nothing and every bad row is listed. The same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show what would change; write nothing"
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="submit as this user: only its organisation's contracts, and as its party (a supplier's "
            "change to an issued month waits for review); without it, as the operator",
        )

    def handle(self, *args, file, dry_run, user=None, **options):
        allowed = None
        if user is not None:
            username = user
            user = active_user_named(username)
            if user is None:
                raise CommandError(f"--user: no active user {username!r}")
            try:
                allowed = kpi_submittable_contract_ids(user=user)
            except NotActingForAnyone as error:
                raise CommandError(f"--user: {error}") from None
        try:
            # Asked before reading: a file over the limit is never read.
            if (
                too_large := size_problem(size=file.stat().st_size, max_bytes=settings.KPI_FILE_MAX_BYTES)
            ) is not None:
                self.stderr.write(self.style.ERROR(f"{file}:-:-: {too_large.problem}"))
                raise CommandError(f"{file}: refused with 1 problem(s); nothing was ingested")
            stream = file.open("rb")  # read in chunks by the ingestion, never whole
        except OSError as error:
            raise CommandError(f"{file}: cannot read the file: {error.strerror}") from None
        # One bar whose label follows the stage; tqdm stays quiet when stderr is not a terminal.
        bar = tqdm(total=1, unit="row", file=self.stderr._out, leave=False, disable=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.set_description(stage)
            bar.total, bar.n = max(total, 1), done
            bar.refresh()

        with stream:
            result = kpi_batch_ingest(
                file_name=str(file),
                content=stream,
                source="cli",
                uploaded_by=user,
                allowed_contracts=allowed,
                dry_run=dry_run,
                progress=progress,
            )
        bar.close()
        if result.status == "rejected":
            for error in result.errors:
                row = error.row or "-"
                self.stderr.write(self.style.ERROR(f"{file}:{row}:{error.column or '-'}: {error.problem}"))
            more = result.error_count - len(result.errors)
            if more:
                self.stderr.write(f"… and {more:,} more")
            raise CommandError(
                f"{file}: refused with {result.error_count:,} problem(s); nothing was ingested"
            )
        if result.status == "duplicate":
            self.stdout.write(f"{file}: already ingested as batch {result.batch.pk}; nothing changed")
        elif result.status == "dry_run":
            self.stdout.write(
                f"{file}: {result.row_count:,} rows would be ingested (dry run, nothing written)"
            )
            for row in result.preview:
                self.stdout.write(
                    f"  {row.contract} {row.period} {row.kpi}: {_shown(row.current)} → {_shown(row.new)}"
                )
            if result.held_months:
                self.stdout.write("  it would wait for review: it changes issued months")
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"  warning: {warning.message}"))
        elif result.status == "pending_review":
            self.stdout.write(
                f"{file}: stored as batch {result.batch.pk}, held for review: it changes issued months; "
                "nothing counts until procurement accepts it"
            )
            for month in result.held_months:
                for change in month["changes"]:
                    self.stdout.write(
                        f"  {month['contract']} {month['period']} {change['kpi']}: "
                        f"{change['was'] or 'not measured'} → {change['now'] or 'not measured'}"
                    )
        else:
            batch = result.batch
            self.stdout.write(
                f"{file}: ingested as batch {batch.pk}: {result.row_count:,} rows for "
                f"{', '.join(batch.contracts)} in {', '.join(batch.periods)}"
            )


def _shown(month) -> str:
    if month is None:
        return "none"
    return "not measured" if month.value is None else f"{month.value.normalize():f}"
