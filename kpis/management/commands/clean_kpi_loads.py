from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kpis.services import kpi_loads_clean


class Command(BaseCommand):
    help = (
        "Delete the KPI batches left loading by an ingestion that died (its process killed mid-file), "
        "with their rows, which no reader ever saw. A batch counts as left once no chunk was stored for "
        "--older-than seconds (KPI_LOAD_STALE_AFTER by default). Every ingestion does this first too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            help=f"seconds without a stored chunk (default {settings.KPI_LOAD_STALE_AFTER})",
        )

    def handle(self, *args, older_than=None, **options):
        if older_than is not None and not 0 <= older_than <= 10**8:
            raise CommandError("--older-than: give 0 to 100000000 seconds")
        removed = kpi_loads_clean(stale_after=older_than)
        self.stdout.write(f"{removed} loading batch(es) removed")
