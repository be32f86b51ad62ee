"""Which way a KPI is better: shared by the experience scorecard and the service levels."""

from enum import StrEnum


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
