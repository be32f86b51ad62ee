"""Charges: ``fixed_fee`` and ``unit_rate`` (priced by :mod:`pricing.components.charges`)."""

from __future__ import annotations

from decimal import Decimal

from pricing.terms import Band, BandMode, FixedFee, UnitRate

from ..checks import BAND_LIMIT
from .base import ComponentType, ComponentValidator, KpiCatalogue, decimal_or_none, register
from .wording import Wording

# Looked up rather than called, as ``base.DIRECTIONS``.
BAND_MODES = {mode.value: mode for mode in BandMode}


def _validate_fixed_fee(validator: ComponentValidator, p: dict, path: str) -> dict:
    return {"amount": validator.optional(p, "amount", path, validator.check.amount)}


def _describe_fixed_fee(p: dict, wording: Wording) -> list[str]:
    return [f"Fixed fee: {wording.money(p['amount'])} a month (prorated in a part month)"]


def _fixed_fee(component_id: str, p: dict, catalogue: KpiCatalogue) -> FixedFee:
    return FixedFee(id=component_id, amount=Decimal(p["amount"]))


FIXED_FEE = register(
    ComponentType(
        name="fixed_fee",
        terms=FixedFee,
        required=("amount",),
        optional=(),
        validate=_validate_fixed_fee,
        to_pricing=_fixed_fee,
        describe=_describe_fixed_fee,
    )
)


def _validate_unit_rate(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    limit = lambda v, w: check.decimal(v, w, BAND_LIMIT)  # noqa: E731
    return {
        "measure": validator.kpi(p, "measure", path, aggregation="sum", units=("count",)),
        "bands": validator.bands(
            p.get("bands"),
            f"{path}.bands",
            "up_to",
            "price",
            limit,
            check.price,
            optional={"flat_fee": check.amount},
        )
        if "bands" in p
        else None,
        "mode": check.choice(p["mode"], f"{path}.mode", ("graduated", "volume")) if "mode" in p else None,
        "minimum_charge": validator.optional(p, "minimum_charge", path, check.amount),
        "package_size": validator.optional(p, "package_size", path, limit),
    }


def _band_price(band: dict, wording: Wording, unit: str) -> str:
    text = f"{wording.money(band['price'])} {unit}"
    return text if band.get("flat_fee") is None else f"{text} plus a flat {wording.money(band['flat_fee'])}"


def _describe_unit_rate(p: dict, wording: Wording) -> list[str]:
    unit = "each" if p.get("package_size") is None else "a package"
    prices = wording.bands(p["bands"], "up_to", lambda band: _band_price(band, wording, unit))
    lines = [f"{wording.kpi(p['measure'])}: {prices}"]
    if len(p["bands"]) > 1:
        if p.get("mode", "graduated") == "volume":
            lines.append("Volume pricing: every unit at the price of the band the month's total reaches")
        else:
            lines.append("Graduated pricing: the units in each band at that band's price")
    return lines + _describe_packages(p, wording)


def _describe_packages(p: dict, wording: Wording) -> list[str]:
    """The package size, the flat fees and the minimum charge of a unit rate, in words."""
    lines = []
    if p.get("package_size") is not None:
        lines.append(
            f"Priced in packages of {wording.number(p['package_size'])}: each package started is charged whole"
            + ("; band limits count packages" if len(p["bands"]) > 1 else "")
        )
    if any(band.get("flat_fee") is not None for band in p["bands"]):
        reached = "the one band reached" if p.get("mode") == "volume" else "each band reached"
        lines.append(f"Flat fees: charged once a month for {reached} (at least one unit in it)")
    if p.get("minimum_charge") is not None:
        lines.append(
            f"Minimum charge: {wording.money(p['minimum_charge'])} a month (prorated in a part month)"
        )
    return lines


def _unit_rate(component_id: str, p: dict, catalogue: KpiCatalogue) -> UnitRate:
    return UnitRate(
        id=component_id,
        measure=p["measure"],
        bands=tuple(
            [
                Band(
                    up_to=decimal_or_none(b["up_to"]),
                    price=Decimal(b["price"]),
                    flat_fee=decimal_or_none(b.get("flat_fee")),
                )
                for b in p["bands"]
            ]
        ),
        mode=BAND_MODES[p.get("mode", "graduated")],
        minimum_charge=decimal_or_none(p.get("minimum_charge")),
        package_size=decimal_or_none(p.get("package_size")),
    )


UNIT_RATE = register(
    ComponentType(
        name="unit_rate",
        terms=UnitRate,
        required=("measure", "bands"),
        optional=("mode", "minimum_charge", "package_size"),
        validate=_validate_unit_rate,
        to_pricing=_unit_rate,
        describe=_describe_unit_rate,
    )
)
