"""The pure pricing core: terms and KPI values in, priced lines out.

No Django, no pandas, no I/O. Everything here is a function of its arguments.
"""

from .engine import price_period
from .errors import PricingError

__all__ = ["PricingError", "price_period"]
