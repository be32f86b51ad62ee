"""Errors the pricing core raises."""


class PricingError(ValueError):
    """The inputs cannot be priced (contract not active in the period, inconsistent terms)."""
