"""Billing runs, statements, their lines and document number series.

Statement amounts are exact decimals in the contract currency (``currency`` on the row),
rounded by :mod:`pricing.money` before saving. Issued statements and their lines are
immutable: :mod:`billing.services` refuses changes and, on PostgreSQL, a trigger does too.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from djmoney.models.fields import CurrencyField

from contracts.models import PERIOD_VALIDATOR

from .immutability import (
    FROZEN_STATUSES,
    AppendOnlyModel,
    ImmutableError,
    StatementLineQuerySet,
    StatementQuerySet,
    check_statement_change,
)
from .storage import document_storage

AMOUNT = {"max_digits": 20, "decimal_places": 4}


class BillingRun(models.Model):
    """One request to price a month. ``errors`` maps a contract reference to why it was not
    priced; ``heartbeat_at`` is refreshed as contracts finish, so a run whose process died
    can be told apart from a slow one (``is_stale``, ``BILLING_RUN_STALE_AFTER`` seconds)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        # Every contract was attempted; those in ``errors`` were not priced.
        FAILED = "failed", "Finished with errors"
        # No heartbeat for longer than BILLING_RUN_STALE_AFTER: its process died.
        STALE = "stale", "Dead (no heartbeat)"

    period = models.CharField(max_length=7, validators=[PERIOD_VALIDATOR])
    contract_reference = models.CharField(
        max_length=50, blank=True, help_text="Empty: every contract active in the period."
    )
    # A procurement user's run covers its own buyer's contracts only.
    buyer = models.ForeignKey(
        "contracts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: every buyer's contracts.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=dict, blank=True, help_text="Contract reference → error message.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life: set at start and as contracts finish."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Billing run {self.period} ({self.status})"

    @property
    def is_stale(self) -> bool:
        """Running, but silent for longer than ``BILLING_RUN_STALE_AFTER`` seconds (default 600):
        the process pricing it died. Already marked ``stale`` counts too."""
        if self.status == self.Status.STALE:
            return True
        if self.status != self.Status.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        return last is not None and last < timezone.now() - stale_after()

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(contract reference, message) of every contract not priced, by reference."""
        return sorted(self.errors.items())


def stale_after() -> timedelta:
    """How long a running billing run may go without a heartbeat before it counts as dead."""
    return timedelta(seconds=int(getattr(settings, "BILLING_RUN_STALE_AFTER", 600)))


class NumberSeries(models.Model):
    """A gap-free document number series: one per buyer, document type and year.

    ``next_value`` is taken under ``select_for_update()`` inside the issuing transaction.
    """

    buyer = models.ForeignKey(
        "contracts.Organisation", on_delete=models.PROTECT, related_name="number_series"
    )
    document_type = models.CharField(max_length=20)
    year = models.PositiveIntegerField()
    prefix = models.CharField(max_length=30)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "document_type", "year"], name="one_series_per_buyer_type_year"
            ),
            models.CheckConstraint(condition=Q(next_value__gte=1), name="series_next_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} (next {self.next_value})"


def issued_party(role: str) -> models.ForeignKey:
    """A party of the contract, held on the statement from its issue on."""
    return models.ForeignKey(
        "contracts.Organisation",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=f"The contract's {role}, from issue on.",
    )


def actor_field(what: str) -> models.ForeignKey:
    """The user who did ``what`` to a statement. PROTECT: a user who acted on a document stays."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=f"The user who {what}.",
    )


class Statement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        APPROVED = "approved"
        ISSUED = "issued"
        PAID = "paid"
        VOID = "void"

    class DocumentType(models.TextChoices):
        INVOICE = "invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="statements", db_index=False
    )
    period = models.CharField(max_length=7, validators=[PERIOD_VALIDATOR])
    revision = models.PositiveIntegerField(default=1)
    terms_version = models.ForeignKey(
        "contracts.TermsVersion", on_delete=models.PROTECT, related_name="statements"
    )
    # PROTECT: a run that priced a statement is part of its record (an issued one's run can
    # never be cleared, so deleting the run must be refused rather than half-done).
    billing_run = models.ForeignKey(BillingRun, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    document_type = models.CharField(
        max_length=20, choices=DocumentType.choices, default=DocumentType.INVOICE
    )
    adjusts = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
        help_text="The issued statement this adjustment document corrects.",
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacements",
        help_text="The voided statement this one replaces.",
    )
    number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # The contract's parties, set when the document is issued: who may see it is decided on
    # the document's own row (the finance API's lists read them with an index, no join).
    buyer = issued_party("buyer")
    supplier = issued_party("supplier")
    currency = CurrencyField()
    net = models.DecimalField(**AMOUNT)
    tax = models.DecimalField(**AMOUNT)
    gross = models.DecimalField(**AMOUNT)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    flags = models.JSONField(default=list, blank=True)
    inputs = models.JSONField(default=dict, blank=True, help_text="Snapshot of every input the pricing used.")
    buyer_details = models.JSONField(default=dict, blank=True, help_text="Frozen at issue.")
    supplier_details = models.JSONField(default=dict, blank=True, help_text="Frozen at issue.")
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    pdf = models.FileField(upload_to="statements/%Y/", blank=True, storage=document_storage)
    api_representation = models.TextField(
        null=True,
        blank=True,
        editable=False,
        help_text="The finance API's JSON of the document, frozen at issue as the PDF is; its "
        "status and payment are read live. Empty for documents issued before it was kept.",
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # Who moved the statement into each state: a user, an API token's user, or the system
    # actor (``billing.actors.system_actor``) for scheduled runs; empty when no one was named.
    approved_by = actor_field("approved it")
    issued_by = actor_field("issued it")
    voided_by = actor_field("voided it")
    paid_by = actor_field("recorded its payment")

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["contract__reference", "period", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period", "revision"], name="statement_revision_unique"
            ),
            # Exactly one live original statement per contract and month; adjustments and
            # voided documents are outside this rule.
            models.UniqueConstraint(
                fields=["contract", "period"],
                condition=Q(adjusts__isnull=True) & ~Q(status="void"),
                name="one_live_statement_per_period",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved"]) | Q(number__isnull=False),
                name="issued_statement_has_number",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved"])
                | Q(buyer__isnull=False, supplier__isnull=False),
                name="issued_statement_has_parties",
            ),
            models.CheckConstraint(condition=~Q(status="void") | ~Q(void_reason=""), name="void_has_reason"),
        ]
        indexes = [
            models.Index(fields=["period", "status"]),
            # The finance feed's keyset (updated_at, id), per party, over visible documents.
            *(
                models.Index(
                    fields=[party, "updated_at", "id"],
                    condition=Q(status__in=FROZEN_STATUSES),
                    name=f"statement_feed_{party}",
                )
                for party in ("buyer", "supplier")
            ),
        ]
        permissions = [
            ("approve_statement", "Can approve a draft statement"),
            ("issue_statement", "Can issue an approved statement"),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.contract.reference} {self.period} {self.status} r{self.revision}"

    def save(self, *args, **kwargs):
        check_statement_change(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Statement.objects.filter(pk=self.pk, status__in=FROZEN_STATUSES).exists():
            raise ImmutableError(f"statement {self.number} is issued and cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


class StatementLine(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines", db_index=False)
    position = models.PositiveIntegerField()
    component_id = models.CharField(max_length=50)
    kind = models.CharField(max_length=30)
    kpi = models.CharField(max_length=40, blank=True)
    amount = models.DecimalField(**AMOUNT)
    explanation = models.TextField()
    detail = models.JSONField(default=dict, blank=True)

    objects = StatementLineQuerySet.as_manager()

    class Meta:
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="line_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.amount}"

    def save(self, *args, **kwargs):
        if Statement.objects.filter(pk=self.statement_id, status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("lines of an issued statement cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Statement.objects.filter(pk=self.statement_id, status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("lines of an issued statement cannot be deleted")
        return super().delete(*args, **kwargs)


class StatementEvent(AppendOnlyModel):
    """One entry of a statement's append-only history: what happened, who did it, when.

    An event names its statement by plain numbers, not by a foreign key: a draft is deleted
    when its month is re-priced, and its history must outlive it without holding the deletion
    up (PROTECT) or being rewritten (SET_NULL would be an UPDATE of an append-only row).
    ``statement_id`` is the row the event was about, with its contract, period and revision;
    ``document_id`` is the first row of the document's history: a re-priced draft carries on
    the ``document_id`` of the draft it replaced, so one query on it gives a statement's whole
    story (created, approved, re-priced, issued...). Rows are never changed or deleted: the
    query set and model refuse it, and on PostgreSQL a trigger refuses ``UPDATE`` and
    ``DELETE`` (migration 0013)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        REPRICED = "re-priced", "Re-priced"
        INPUTS_CHANGED = "inputs changed", "Inputs changed"
        APPROVED = "approved", "Approved"
        ISSUED = "issued", "Issued"
        PDF_STORED = "pdf stored", "PDF stored"
        VOIDED = "voided", "Voided"
        PAID = "paid", "Paid"
        ADJUSTMENT_CREATED = "adjustment created", "Adjustment created"
        QUERY_RAISED = "query raised", "Query raised"
        QUERY_ANSWERED = "query answered", "Query answered"
        QUERY_RESOLVED = "query resolved", "Query resolved"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    period = models.CharField(max_length=7)
    revision = models.PositiveIntegerField()
    statement_id = models.BigIntegerField(db_index=True)
    document_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["document_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """A finance client's ``Idempotency-Key``: the same key and body replay the stored response.

    The row is claimed (inserted) before the request's work, in the same transaction, so of
    concurrent requests with one key exactly one does the work; the others wait on the unique
    constraint and then replay it or are refused. The response is kept as the bytes first sent
    (``response_text``), so a replay is identical to the byte."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return self.key


# Queries, their threads and acknowledgements live in a module of their own.
from .query_models import QueryMessage, StatementAcknowledgement, StatementQuery  # noqa: E402, F401
