"""A supplier's queries on its issued documents, their threads, and acknowledgements.

Imported by :mod:`billing.models` (so Django finds the models there); the services that write
them are in :mod:`billing.queries`. A query is raised on an issued or paid document, on one of
its lines or on the whole document, and stays open until the buyer's procurement resolves it:
*explained* (no change) or *accepted* (the month is corrected, and the adjustment document
that follows is the query's answer). Messages are never edited or deleted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .immutability import AppendOnlyModel

MAX_MESSAGE_CHARS = 4000


class StatementQuery(models.Model):
    """One query on an issued document. ``line_position`` is the line queried (``None``: the
    whole document); ``subject`` says it in words, written when the query is raised. ``resolved_at`` is set exactly when the status is no longer open (a check
    constraint), so "open" is ``resolved_at IS NULL`` for the readers that count open queries.
    An accepted query records the billing run its correction started (``correction_run``) and
    either the corrected KPI file it ingested (``correction_batch``) or the amount the two
    sides agreed (``agreed_amount``, priced as an ``agreed`` line of the month, see
    :func:`billing.query_selectors.agreed_amounts`);
    the adjustment it led to is the month's adjustment created after ``resolved_at``
    (:func:`billing.queries.query_adjustments`), since a draft adjustment is deleted and
    re-created whenever its month is priced again."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXPLAINED = "explained", "Explained"
        ACCEPTED = "accepted", "Accepted"

    statement = models.ForeignKey("billing.Statement", on_delete=models.PROTECT, related_name="queries")
    # The line by its position (lines of an issued document never change, and a foreign key
    # would tie the line table to this one: it could no longer be truncated on its own).
    line_position = models.PositiveIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=200, help_text="What the query is about, in words.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    correction_run = models.ForeignKey(
        "billing.BillingRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The billing run that re-priced the month when the query was accepted.",
    )
    agreed_amount = models.DecimalField(
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The amount the two sides agreed (accepted without a KPI file): a line of the month.",
    )
    correction_batch = models.ForeignKey(
        "kpis.KpiBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The corrected KPI file the acceptance ingested.",
    )

    class Meta:
        ordering = ["raised_at", "pk"]
        verbose_name = "statement query"
        verbose_name_plural = "statement queries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="query_resolved_when_not_open",
            ),
        ]
        indexes = [models.Index(fields=["statement", "resolved_at"], name="query_open_per_statement")]
        permissions = [("resolve_statementquery", "Can answer and resolve a supplier's query")]

    def __str__(self) -> str:
        return f"Query {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class QueryMessage(AppendOnlyModel):
    """One message of a query's thread, by the supplier or the buyer. Append-only."""

    class Side(models.TextChoices):
        SUPPLIER = "supplier", "Supplier"
        BUYER = "buyer", "Buyer"

    query = models.ForeignKey(StatementQuery, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(max_length=MAX_MESSAGE_CHARS)

    class Meta:
        ordering = ["query", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_side_display()} message {self.at:%Y-%m-%d %H:%M}"


class StatementAcknowledgement(AppendOnlyModel):
    """A supplier user's acknowledgement of a self-billed invoice: one per document."""

    statement = models.OneToOneField(
        "billing.Statement", on_delete=models.PROTECT, related_name="acknowledgement"
    )
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Acknowledged {self.acknowledged_at:%Y-%m-%d %H:%M}"
