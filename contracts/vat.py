"""VAT numbers checked with python-stdnum for the organisation's country: the UK's by
``stdnum.gb.vat``, an EU member state's (and Northern Ireland's XI) by ``stdnum.eu.vat``
with the country's prefix, any other country's by its own stdnum module where there is one.
An empty number is allowed (an organisation that is not VAT-registered)."""

from __future__ import annotations

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.gb import vat as gb_vat

# The VAT prefix of a member state where it is not its ISO code.
EU_PREFIX = {"GR": "EL"}


def vat_number_problem(country: str, vat_number: str) -> str | None:
    """Why ``vat_number`` is not a valid VAT number of ``country`` (ISO 3166-1 alpha-2), or None."""
    number = (vat_number or "").strip()
    if not number:
        return None
    country = (country or "").upper()
    if country == "GB":
        module, shown = gb_vat, "a UK VAT number (GB and 9 or 12 digits with a valid check)"
    elif country.lower() in eu_vat.MEMBER_STATES or country == "XI":
        prefix = EU_PREFIX.get(country, country)
        if not number.upper().replace(" ", "").startswith(prefix):
            return f"{number!r} is not a VAT number of {country}: it must start with {prefix}"
        module, shown = eu_vat, f"a valid VAT number of {country}"
    else:
        module = get_cc_module(country.lower(), "vat") if country.isalpha() and len(country) == 2 else None
        if module is None:
            return None  # no checker for this country in stdnum: kept as written
        shown = f"a valid VAT number of {country}"
    try:
        module.validate(number)
    except ValidationError:
        return f"{number!r} is not {shown}"
    return None
