"""Contract-file keys of the terms that read earlier months, shared by the component types
that take them: ``settlement`` and ``annual_cap`` (``gain_share``, ``revenue_share``;
``annual_cap`` also on ``outcome_fee``), ``rolling_cap_percent`` with ``excess``
(``service_credit``). Priced by :mod:`pricing.components.periodic`."""

from __future__ import annotations

from decimal import Decimal

from pricing.terms import Excess, Settlement, SettlementPeriod

from .base import ComponentValidator, as_text
from .wording import Wording

SETTLEMENT_PERIODS = tuple(p.value for p in SettlementPeriod)
EXCESS_RULES = tuple(e.value for e in Excess)


def validate_settlement(validator: ComponentValidator, p: dict, path: str) -> dict | None:
    """``settlement: {period: quarter|contract_year, provisional_percent: 0–100}``."""
    value = p.get("settlement")
    if value is None:
        return None
    check, where = validator.check, f"{path}.settlement"
    if check.mapping(value, where, required=("period", "provisional_percent")) is None:
        return None
    period = check.choice(value.get("period"), f"{where}.period", SETTLEMENT_PERIODS)
    provisional = (
        check.percent(value["provisional_percent"], f"{where}.provisional_percent")
        if "provisional_percent" in value
        else None
    )
    if period is None or provisional is None:
        return None
    return {"period": period, "provisional_percent": as_text(provisional)}


def validate_annual_cap(validator: ComponentValidator, p: dict, path: str) -> str | None:
    """``annual_cap``: an amount, the most the component pays in a contract year."""
    return validator.optional(p, "annual_cap", path, validator.check.amount)


def validate_rolling_cap(validator: ComponentValidator, p: dict, path: str) -> dict:
    """``rolling_cap_percent`` (0–100, of the rolling 12 months' charges) and ``excess``
    (``carry_forward`` or ``forfeit``), each only with the other."""
    check = validator.check
    has_cap, has_excess = p.get("rolling_cap_percent") is not None, p.get("excess") is not None
    if has_cap and not has_excess:
        check.error(f"{path}.excess", "is required with rolling_cap_percent (carry_forward or forfeit)")
    if has_excess and not has_cap:
        check.error(f"{path}.excess", "needs rolling_cap_percent")
    return {
        "rolling_cap_percent": validator.optional(p, "rolling_cap_percent", path, check.percent),
        "excess": check.choice(p["excess"], f"{path}.excess", EXCESS_RULES) if has_excess else None,
    }


def settlement_of(p: dict) -> Settlement | None:
    value = p.get("settlement")
    if value is None:
        return None
    return Settlement(SettlementPeriod(value["period"]), Decimal(value["provisional_percent"]))


def describe_periodic(p: dict, wording: Wording) -> list[str]:
    """Rate-card lines for the keys of this module that ``p`` holds."""
    lines = []
    settlement = p.get("settlement")
    if settlement is not None:
        span = "calendar quarter" if settlement["period"] == "quarter" else "contract year"
        lines.append(
            f"Settled per {span}: {wording.percent(settlement['provisional_percent'])} of each month's share "
            "paid on account, trued up at the period's end"
        )
    if p.get("annual_cap") is not None:
        lines.append(f"At most {wording.money(p['annual_cap'])} per contract year")
    if p.get("rolling_cap_percent") is not None:
        fate = "carried forward" if p.get("excess") == "carry_forward" else "forfeited"
        lines.append(
            f"Credits at most {wording.percent(p['rolling_cap_percent'])} of the rolling 12 months' charges; "
            f"credits above it are {fate}"
        )
    return lines
