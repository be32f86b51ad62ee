"""Index series (CPI, a wage index) and their monthly values, which indexation reads.

A series is public reference data, shared by every contract that names its code. A value is
one month's published figure; once imported it changes only by an explicit revision
(``import_index --revise``, or the admin's import with "revise" ticked), kept in its history,
and the months it priced are then priced again as corrections.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

SERIES_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,19}$"
SERIES_CODE_VALIDATOR = RegexValidator(
    SERIES_CODE_PATTERN, "1–20 upper-case letters, digits or _, starting with a letter."
)
# An index value: positive, up to 10 digits before the point and 6 after it.
VALUE_DIGITS, VALUE_PLACES = 16, 6


class IndexSeries(models.Model):
    code = models.CharField(max_length=20, unique=True, validators=[SERIES_CODE_VALIDATOR])
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True, help_text="Who publishes it (the source).")
    unit = models.CharField(max_length=50, blank=True, help_text="For example: 2015=100.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "index series"
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=SERIES_CODE_PATTERN), name="index_series_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class IndexValue(models.Model):
    series = models.ForeignKey(IndexSeries, on_delete=models.PROTECT, related_name="values")
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    value = models.DecimalField(max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    imported_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["series", "period"]
        constraints = [
            models.UniqueConstraint(fields=["series", "period"], name="one_index_value_per_month"),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="index_value_period"
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="index_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.series.code} {self.period}: {self.value}"
