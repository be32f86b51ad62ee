"""A statement's totals from its lines: the one place for the tax and document-type rules.

``net = Σ lines`` (each line already rounded once), ``tax = round(net × tax_rate / 100)``
with the contract's rounding, ``gross = net + tax``; a negative net is a credit note. Both a
month's pricing and a correction's difference end here.
"""

from __future__ import annotations

from collections.abc import Iterable

from .money import ZERO, percent_of, round_money
from .result import DocumentType, Flag, Line, PricedStatement
from .terms import ContractTerms


def statement_of(lines: Iterable[Line], terms: ContractTerms, flags: Iterable[Flag] = ()) -> PricedStatement:
    """The priced statement of ``lines`` under ``terms`` (currency places, rounding, tax rate)."""
    lines = tuple(lines)

    def rounded(amount):
        return round_money(amount, decimal_places=terms.decimal_places, rounding=terms.rounding)

    net = rounded(sum((line.amount for line in lines), ZERO))
    tax = rounded(percent_of(net, terms.tax_rate))
    return PricedStatement(
        lines=lines,
        net=net,
        tax=tax,
        gross=net + tax,
        document_type=DocumentType.CREDIT_NOTE if net < 0 else DocumentType.INVOICE,
        flags=tuple(flags),
    )
