"""The component types the core prices: one module per family, each holding its terms
dataclasses and their pricing functions, each function registered with
:func:`~pricing.components.registry.prices`.

Adding a component type: write its frozen dataclass and its pricing function, decorated with
``@prices(TheType, phase=...)``, in a module here (a new one, or the module of its family);
import that module below and add the type to ``Component``. Its lines use the kinds of
:class:`pricing.result.LineKind` (a new kind of line is added there). The contracts layer
then needs one entry for it in :mod:`contracts.components` (its file keys, validation and
conversion). Tests check that ``Component``, this registry and the contracts registry list the
same types (``tests/unit/pricing/test_registry.py``, ``tests/unit/contracts/test_registry.py``).
"""

from .charges import Band, BandMode, FixedFee, UnitRate
from .credits import CreditBand, CreditKpi, ServiceCredit, Shortfall
from .direction import Direction
from .experience import ExperienceBonus, ExperienceKpi
from .kpi_rounding import KpiRounding, KpiRoundingMode
from .registry import PRICERS, Phase, Pricer, pricer_for, prices
from .rolling import Excess
from .settlement import Settlement, SettlementPeriod
from .shares import GainShare, OutcomeFee, RevenueShare, ShareBand

Component = FixedFee | UnitRate | GainShare | RevenueShare | OutcomeFee | ExperienceBonus | ServiceCredit

__all__ = [
    "PRICERS",
    "Band",
    "BandMode",
    "Component",
    "CreditBand",
    "CreditKpi",
    "Direction",
    "Excess",
    "ExperienceBonus",
    "ExperienceKpi",
    "FixedFee",
    "GainShare",
    "KpiRounding",
    "KpiRoundingMode",
    "OutcomeFee",
    "Phase",
    "Pricer",
    "RevenueShare",
    "ServiceCredit",
    "Settlement",
    "SettlementPeriod",
    "ShareBand",
    "Shortfall",
    "UnitRate",
    "pricer_for",
    "prices",
]
