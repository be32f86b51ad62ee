"""KPI batches and their results, measured against the catalogue (:class:`contracts.models.Kpi`)."""

from django.conf import settings
from django.db import models

from contracts.models import Kpi

from .fields import ExactDecimalField


class StoredBatches(models.Manager):
    """Every batch but those still loading: a file being ingested is invisible until its
    last row is stored and its batch is switched on (``kpis.services``)."""

    def get_queryset(self):
        return super().get_queryset().exclude(status=KpiBatch.Status.LOADING)


class StoredResults(models.Manager):
    """Every row but those of a batch still loading (see ``StoredBatches``)."""

    def get_queryset(self):
        loading = KpiBatch.with_loading.filter(status=KpiBatch.Status.LOADING).values("pk")
        return super().get_queryset().exclude(batch_id__in=loading)


class KpiBatch(models.Model):
    """One stored KPI file. Files with a problem leave nothing behind.

    A batch counts once it is ``accepted``. A supplier's file that would change a month already
    issued is stored ``pending`` review: its rows change nothing until procurement accepts it
    (``kpis.services.kpi_batch_accept``), and a ``rejected`` one stays, with its reason, for
    the supplier to see.

    While its file is being stored, chunk by chunk, a batch is ``loading``: the default
    managers of batches and results hide it and its rows from every reader (``with_loading``
    sees them, for the ingestion and its cleanup only). It becomes ``accepted`` (or
    ``pending``) in one short transaction once the whole file is checked and stored, or is
    deleted with its rows; ``loading_seen_at`` is renewed after every chunk, so a batch whose
    process died is recognised and removed (``kpis.services.kpi_loads_clean``).
    """

    class Source(models.TextChoices):
        CLI = "cli", "Command line"
        ADMIN = "admin", "Admin upload"
        API = "api", "API"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        PENDING = "pending", "Pending review"
        REJECTED = "rejected", "Rejected"
        LOADING = "loading", "Loading"

    class Party(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SUPPLIER = "supplier", "Supplier"
        OPERATOR = "operator", "Operator"  # the command line, or a superuser acting for no one

    file_name = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the file's bytes.")
    source = models.CharField(max_length=10, choices=Source.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="kpi_batches"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    row_count = models.PositiveIntegerField(default=0)
    contracts = models.JSONField(default=list, help_text="Contract references in the file.")
    periods = models.JSONField(default=list, help_text="Periods in the file.")
    party = models.CharField(
        max_length=10, choices=Party.choices, default=Party.OPERATOR, help_text="The party that submitted it."
    )
    organisation = models.ForeignKey(
        "contracts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_batches",
        help_text="The organisation the submitter acts for.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED, db_index=True)
    held_months = models.JSONField(
        default=list,
        blank=True,
        help_text="The issued months the file changes: contract, period and each KPI's value before and after.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True, max_length=1000)
    loading_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="While loading: when the ingestion last stored a chunk."
    )

    objects = StoredBatches()
    with_loading = models.Manager()  # noqa: DJ012 (after objects, which stays the default manager)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        permissions = [("review_kpibatch", "Can accept or reject a KPI batch held for review")]
        verbose_name = "KPI batch"
        verbose_name_plural = "KPI batches"

    def __str__(self) -> str:
        return f"Batch {self.pk}: {self.file_name}"


class KpiResult(models.Model):
    """One row of a KPI file, exactly as given. Never edited or deleted.

    For a (contract, period, KPI, channel, site) key, the rows of the latest batch that has
    the key are the ones that count; earlier batches' rows stay as history.

    The foreign keys have no database constraint: a million-row file would otherwise queue
    three deferred trigger checks per row (most of the ingestion time on PostgreSQL). Every
    id is looked up from the database in the same transaction that writes the rows, and
    ``PROTECT`` keeps contracts, KPIs and batches with results from being deleted.

    The only index besides the primary key is (contract, period), which every read uses; an
    index by batch or KPI would cost each ingested row an index insertion for no query.
    """

    batch = models.ForeignKey(
        KpiBatch,
        on_delete=models.PROTECT,
        related_name="results",
        db_constraint=False,
        db_index=False,  # no read looks rows up by batch; the month reads use (contract, period)
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        related_name="kpi_results",
        db_constraint=False,
        db_index=False,  # the (contract, period) index serves every lookup by contract
    )
    period = models.CharField(max_length=7)
    kpi = models.ForeignKey(
        Kpi, on_delete=models.PROTECT, related_name="results", db_constraint=False, db_index=False
    )
    date = models.DateField(null=True, blank=True, help_text="For daily rows.")
    value = ExactDecimalField(null=True, blank=True)
    numerator = ExactDecimalField(null=True, blank=True)
    denominator = ExactDecimalField(null=True, blank=True)
    channel = models.CharField(max_length=40, blank=True, default="")
    site = models.CharField(max_length=40, blank=True, default="")
    source_row = models.PositiveIntegerField(help_text="Row number in the file (the header is row 1).")

    objects = StoredResults()
    with_loading = models.Manager()  # noqa: DJ012 (after objects, which stays the default manager)

    class Meta:
        ordering = ["contract", "period", "kpi", "batch", "source_row"]
        verbose_name = "KPI result"
        indexes = [models.Index(fields=["contract", "period"], name="kpiresult_contract_period")]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period} row {self.source_row}"
