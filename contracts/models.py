"""Organisations, contracts, terms versions and their components, and the KPI catalogue.

Components keep their validated parameters as canonical JSON (decimals as strings), the
same shape as the contract file; :mod:`contracts.schema` is the one parser from that shape
to :mod:`pricing.terms` dataclasses, used by the file import, the admin and the billing run.

The KPI catalogue lives here because terms are written in its codes: a contract file is
checked against it, and ``kpis`` (the batches and results measured against it) sits above.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField
from simple_history.models import HistoricalRecords

from .consistency import validate_kpi_checks
from .payment import validate_buyer_reference
from .schema import validate_kpi_sources

PERIOD_VALIDATOR = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", "Enter a period as YYYY-MM.")
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Organisation(models.Model):
    """A buyer or a supplier (the same organisation may be either, in different contracts)."""

    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(
        max_length=20,
        unique=True,
        help_text="Short upper-case code used in document numbers, e.g. ACME.",
    )
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    vat_number = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    # Payment details, checked by contracts.payment (the admin's form and the contract file):
    # kept compact (no spaces), printed on the invoices this organisation is paid by.
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    sort_code = models.CharField(max_length=6, blank=True, help_text="UK sort code, 6 digits.")
    account_number = models.CharField(max_length=8, blank=True, help_text="UK account number, 8 digits.")
    registration_number = models.CharField(
        "company registration number",
        max_length=20,
        blank=True,
        help_text="UK: 8 letters or digits (Companies House); elsewhere up to 20.",
    )
    remittance_email = models.EmailField(blank=True, help_text="Where remittance advice is sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    class RoundingMode(models.TextChoices):
        HALF_UP = "half_up", "Half up"
        HALF_EVEN = "half_even", "Half even (banker's)"

    reference = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    buyer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contracts_as_buyer")
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contracts_as_supplier")
    currency = CurrencyField(default="GBP")
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent, applied to net.",
    )
    rounding = models.CharField(max_length=10, choices=RoundingMode.choices, default=RoundingMode.HALF_UP)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day (inclusive); empty is open-ended.")
    payment_terms_days = models.PositiveIntegerField(default=30)
    buyer_reference = models.CharField(
        "buyer reference / PO number",
        max_length=40,
        blank=True,
        validators=[validate_buyer_reference],
        help_text="The buyer's purchase-order number or reference, printed on every document.",
    )
    self_billing = models.BooleanField(
        default=False, help_text="Statements are self-billed invoices issued by the buyer."
    )
    kpi_sources = models.JSONField(
        "KPI sources",
        default=dict,
        blank=True,
        validators=[validate_kpi_sources],
        help_text="KPI code → 'buyer' or 'supplier', where this contract names another "
        "authoritative party than the KPI catalogue does.",
    )
    kpi_checks = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_kpi_checks],
        help_text="Consistency rules on the month's KPI values (sums, ranges), as the contract "
        "file's kpi_checks: a violation is a warning on a KPI upload's dry run and a flag on the draft.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="contract_tax_rate_percent"
            ),
            models.CheckConstraint(
                condition=~Q(buyer=models.F("supplier")), name="contract_distinct_parties"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class TermsVersion(models.Model):
    """The terms in force from ``effective_from`` until the next version's month."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    effective_from = models.CharField(max_length=7, validators=[PERIOD_VALIDATOR], help_text="YYYY-MM")
    indexation = models.JSONField(
        null=True,
        blank=True,
        default=None,
        editable=False,
        help_text="The version's indexation block as in the contract file (None: not indexed).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "effective_from"], name="one_version_per_month"),
            models.CheckConstraint(
                condition=Q(effective_from__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                name="version_effective_from_is_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} from {self.effective_from}"


class Component(models.Model):
    class Type(models.TextChoices):
        FIXED_FEE = "fixed_fee", "Fixed fee"
        UNIT_RATE = "unit_rate", "Unit rate"
        GAIN_SHARE = "gain_share", "Gain share"
        REVENUE_SHARE = "revenue_share", "Revenue share"
        OUTCOME_FEE = "outcome_fee", "Outcome fee"
        EXPERIENCE_BONUS = "experience_bonus", "Experience bonus"
        SERVICE_CREDIT = "service_credit", "Service credit"

    version = models.ForeignKey(TermsVersion, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveIntegerField(default=0)
    component_id = models.SlugField(max_length=50, help_text="The component's id in the contract file.")
    type = models.CharField(max_length=20, choices=Type.choices)
    params = models.JSONField(
        default=dict, help_text="The component's parameters as in the contract file (without id and type)."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "component_id"], name="component_id_unique_in_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} ({self.get_type_display()})"


class Membership(models.Model):
    """Which organisation a user acts for, and in which role.

    Supplier users see only documents of contracts where their organisation is the supplier;
    finance users see their buyer organisation's issued documents, read-only. Procurement
    staff use the admin with Django permissions (the "Procurement" group).
    """

    class Role(models.TextChoices):
        SUPPLIER = "supplier", "Supplier user"
        FINANCE = "finance", "Buyer finance"
        PROCUREMENT = "procurement", "Buyer procurement"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class SelfBillingAgreement(models.Model):
    """A self-billing agreement with the supplier of a self-billed contract (HMRC VAT Notice
    700/62): the period it covers and the supplier's VAT number as agreed. A self-billed
    statement is issued only on a date an agreement covers, while the supplier's VAT number is
    still the agreed one (``contracts.selectors.self_billing_problem``)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="self_billing_agreements")
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day (inclusive) the agreement covers.")
    supplier_vat_number = models.CharField(
        max_length=40,
        blank=True,
        help_text="The supplier's VAT number as agreed (empty: not VAT-registered).",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "self-billing agreement"
        verbose_name_plural = "self-billing agreements"
        ordering = ["contract", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="self_billing_agreement_end_after_start",
            ),
            # Two imports of one file at once record its agreement once (the second finds it).
            models.UniqueConstraint(
                fields=["contract", "start_date", "end_date", "supplier_vat_number"],
                name="self_billing_agreement_recorded_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference}: {self.start_date} to {self.end_date}"


class ImportStatus(models.TextChoices):
    """What a successful contract-file import did (``contracts.services.ImportResult.status``)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class ContractImportQuerySet(models.QuerySet):
    """Import records are appended, never changed or removed."""

    def update(self, **kwargs):
        raise ContractImport.AppendOnlyError("contract imports are kept as recorded: they cannot change")

    def delete(self):
        raise ContractImport.AppendOnlyError("contract imports are kept as recorded: they cannot be deleted")


class ContractImport(models.Model):
    """One successful import of a contract file: which bytes (their SHA-256), who imported
    them, when, and what they changed. Written in the import's own transaction, so a record
    exists exactly when the import took effect; an unchanged file is recorded too (an auditor
    sees it was imported again and changed nothing), a refused file is not (nothing changed).

    ``reference`` repeats the contract's reference at the time: the contract may be renamed
    later, the record stays as it was. Rows are never changed or deleted (model and queryset
    refuse it) and hold their contract (PROTECT)."""

    Status = ImportStatus

    class AppendOnlyError(Exception):
        """An attempt to change or delete a recorded import."""

    FILE_NAME_CHARS = 255

    file_name = models.CharField(
        max_length=FILE_NAME_CHARS, help_text="The file as named on import (its last 255 characters)."
    )
    sha256 = models.CharField(
        max_length=64,
        validators=[RegexValidator(SHA256_PATTERN, "Enter 64 lower-case hexadecimal digits.")],
        help_text="SHA-256 of the file's bytes as imported, in hexadecimal.",
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: imported on the command line without --user.",
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="imports")
    reference = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=Status.choices)
    changes = models.JSONField(default=list, blank=True, help_text="What the import changed, one text each.")

    objects = ContractImportQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=SHA256_PATTERN), name="contract_import_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="contract_import_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.status} {self.imported_at:%Y-%m-%d %H:%M} ({self.sha256[:12]})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.AppendOnlyError("contract imports are kept as recorded: they cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.AppendOnlyError("contract imports are kept as recorded: they cannot be deleted")


class Kpi(models.Model):
    """One KPI of the catalogue (seeded by a ``kpis`` migration from :mod:`kpis.catalogue`).

    The table keeps the name it had when the model belonged to ``kpis``: moving the model
    changed no row, and the results' ``kpi_id`` column points at it as before.
    """

    class Unit(models.TextChoices):
        COUNT = "count"
        MONEY = "money"
        PERCENT = "percent"
        SECONDS = "seconds"
        SCORE = "score"

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher_is_better", "Higher is better"
        LOWER_IS_BETTER = "lower_is_better", "Lower is better"

    class Aggregation(models.TextChoices):
        SUM = "sum", "Sum of rows"
        RATIO = "ratio", "Σ numerator / Σ denominator"

    class Source(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SUPPLIER = "supplier", "Supplier"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    aggregation = models.CharField(max_length=10, choices=Aggregation.choices)
    scale = models.PositiveIntegerField(
        default=1, help_text="Ratio KPIs: value = Σ numerator / Σ denominator × scale (100 for percentages)."
    )
    min_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    source = models.CharField(
        max_length=10,
        choices=Source.choices,
        default=Source.SUPPLIER,
        help_text="The party whose figures count, unless a contract names another (its kpi_sources): "
        "the buyer for survey and revenue data, the supplier for operational data.",
    )

    class Meta:
        db_table = "kpis_kpi"
        ordering = ["code"]
        verbose_name = "KPI"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(max_value__gte=models.F("min_value")),
                name="kpi_bounds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


# The index series live in their own module (the contract file's indexation names them).
from .indexation_models import IndexSeries, IndexValue  # noqa: E402, F401
