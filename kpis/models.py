"""The KPI catalogue (seeded by a migration from :mod:`kpis.catalogue`)."""

from django.db import models


class Kpi(models.Model):
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

    class Meta:
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
