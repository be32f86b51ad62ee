"""The one error of billing's services, and how anything raised for one contract becomes it."""

from __future__ import annotations

import decimal
import logging

from django.db import DatabaseError

from pricing import PricingError
from pricing.period import Period

logger = logging.getLogger(__name__)


class BillingError(Exception):
    """A statement cannot be priced or moved to the asked state; the message says why."""


def contract_error(*, reference: str, period: Period, error: Exception, step: str = "priced") -> BillingError:
    """The ``BillingError`` that stands for anything raised while pricing or saving one
    contract's month: a ``BillingError`` as it is, anything else as a message an operator can
    act on (the traceback goes to the log, never to the user)."""
    if isinstance(error, BillingError):
        return error
    if isinstance(error, PricingError):
        return BillingError(f"{reference} {period}: {error}")
    logger.error("%s %s could not be %s", reference, period, step, exc_info=error)
    if isinstance(error, decimal.DecimalException):
        cause = (
            "an amount in its terms or KPI values is out of range "
            f"({type(error).__name__}); check the contract's terms version"
        )
    elif isinstance(error, DatabaseError):
        cause = f"the database refused it ({type(error).__name__}); see the log"
    else:
        cause = f"unexpected {type(error).__name__}; see the log"
    return BillingError(f"{reference} {period}: could not be {step}: {cause}")
