"""A month's journal: every issued document's lines with their ledger codes, balanced.

For a period and the documents a user may see, one row per document line (its component's
``gl_code`` and ``cost_centre`` from the terms version that priced it, its net, its share of
the document's tax and their sum), then one balancing row per document on the creditors
account (``settings.JOURNAL_CREDITORS_ACCOUNT``, the supplier's payable). The sign is the
side: a line is a debit (positive) and the balancing row credits the document's gross
(negative), so each document's rows sum to zero in every amount column. A credit note's
amounts are negative as stored, so its sides are swapped: its lines credit the expense and
its balancing row debits the creditors account.

Issued and paid documents are in the journal of their period; drafts and approved ones are
not issued, and a void document is left out: it was never owed, and the document replacing
it is in the journal of its own period. A document voided after a journal holding it was
taken into the ledger is reversed there from that file's rows.

Rows come in a stable order (issue date, number, line position, the balancing row last) and
are built from :func:`billing.documents.documents`, :data:`CHUNK` documents at a time, so a
period of 10,000 documents costs a bounded amount of memory and six queries per chunk plus
one for the ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum

from pricing.allocation import largest_remainder
from pricing.money import ZERO, quantum
from pricing.period import Period

from .documents import COMPONENTS, StatementDocument, documents, rows_by_ids
from .models import Statement

CHUNK = 500
JOURNAL_STATUSES = (Statement.Status.ISSUED, Statement.Status.PAID)
LINE = "line"
CREDITORS = "creditors"


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One row of the journal. ``entry`` is ``"line"`` or ``"creditors"`` (the balancing row,
    whose component, title and cost centre are empty); ``position`` is the line's (0 for the
    balancing row). Amounts are Decimals with exactly the currency's places, signed: positive
    a debit, negative a credit."""

    document: str
    document_type: str
    issue_date: date | None
    period: str
    contract: str
    supplier: str
    entry: str
    position: int
    component: str
    title: str
    gl_code: str
    cost_centre: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Accounts:
    gl_code: str
    cost_centre: str


def journal_statement_ids(*, statements: QuerySet[Statement], period: Period) -> list[int]:
    """The ids of the documents of ``period`` in the journal, among ``statements`` (the
    caller's scope, e.g. ``permissions.visible_statements(user)``): issued or paid, in the
    journal's order (issue date, then number). One query."""
    return list(
        statements.filter(period=str(period), status__in=JOURNAL_STATUSES)
        .order_by("issue_date", "number", "pk")
        .values_list("pk", flat=True)
    )


def journal_rows(statement_ids: Iterable[int]) -> Iterator[JournalRow]:
    """The journal rows of the documents ``statement_ids`` (from :func:`journal_statement_ids`),
    in that order, each document's lines by position and then its balancing row.

    A line's tax is its share of the document's tax by :func:`pricing.allocation.largest_remainder`
    over the lines' amounts, in the currency's places, so the lines' tax sums exactly to the
    document's. Ids that are not documents are left out."""
    ids = list(statement_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_id = documents(chunk)
        accounts = _accounts(chunk)
        for pk in chunk:
            if pk in by_id:
                yield from document_rows(by_id[pk], accounts.get(pk, {}))


def document_rows(document: StatementDocument, accounts: dict[str, Accounts]) -> list[JournalRow]:
    """The rows of one document: its lines, then the balancing row. ``accounts`` are its
    terms version's codes by component id (a component without codes has empty ones).
    Raises ``ValueError`` for a document whose tax is not a whole number of minor units or
    that has tax and no line (neither is issued by this engine)."""
    places = document.decimal_places
    unit = quantum(places)
    amounts = [line.amount.quantize(unit) for line in document.lines]
    taxes = largest_remainder(document.tax.quantize(unit), amounts, decimal_places=places)

    def row(entry, position, component, title, codes, net, tax):
        return JournalRow(
            document=document.number or "",
            document_type=document.document_type,
            issue_date=document.issue_date,
            period=document.period,
            contract=document.contract.reference,
            supplier=document.supplier.name,
            entry=entry,
            position=position,
            component=component,
            title=title,
            gl_code=codes.gl_code,
            cost_centre=codes.cost_centre,
            net=net,
            tax=tax,
            gross=net + tax,
            currency=document.currency,
        )

    none = Accounts("", "")
    rows = [
        row(LINE, line.position, line.component, line.title, accounts.get(line.component, none), net, tax)
        for line, net, tax in zip(document.lines, amounts, taxes, strict=True)
    ]
    creditors = Accounts(settings.JOURNAL_CREDITORS_ACCOUNT, "")
    net, tax = document.net.quantize(unit), document.tax.quantize(unit)
    payable = f"Payable to {document.supplier.name}"
    rows.append(row(CREDITORS, 0, "", payable, creditors, ZERO - net, ZERO - tax))  # ZERO - 0 is 0, not -0
    return rows


def _accounts(statement_ids: list[int]) -> dict[int, dict[str, Accounts]]:
    """Each statement's components' codes by component id, from the terms version that
    priced it (frozen with the version, so an issued document's codes never change). Two
    queries: the statements' versions, then those versions' components."""
    versions = dict(
        Statement.objects.filter(pk__in=statement_ids).order_by().values_list("pk", "terms_version_id")
    )
    by_version: dict[int, dict[str, Accounts]] = {version: {} for version in versions.values()}
    if by_version:
        for version_id, component_id, params in rows_by_ids(COMPONENTS, sorted(by_version)):
            params = params if isinstance(params, dict) else {}
            by_version[version_id][component_id] = Accounts(
                _text(params.get("gl_code")), _text(params.get("cost_centre"))
            )
    return {pk: by_version[version] for pk, version in versions.items()}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


class JournalTally:
    """What a journal's rows add up to, per currency, as they are passed on (:meth:`counted`):
    the lines' gross (the debits) and the balancing rows' gross (the credits). Checked against
    the documents' own totals by :meth:`balance_text`."""

    def __init__(self) -> None:
        self.lines: dict[str, Decimal] = {}
        self.creditors: dict[str, Decimal] = {}

    def counted(self, rows: Iterable[JournalRow]) -> Iterator[JournalRow]:
        """``rows`` unchanged, each added to its currency's total on the way."""
        for row in rows:
            totals = self.lines if row.entry == "line" else self.creditors
            totals[row.currency] = totals.get(row.currency, ZERO) + row.gross
            yield row

    def balance_text(self, statement_ids: list[int]) -> list[str]:
        """Per currency, a line saying the lines' gross, the creditors' and the documents'
        gross (one query, grouped by currency), and whether all three agree."""
        documents = dict(
            Statement.objects.filter(pk__in=statement_ids)
            .values("currency")
            .annotate(gross=Sum("gross"))
            .values_list("currency", "gross")
        )
        texts = []
        for currency in sorted(set(documents) | set(self.lines)):
            lines, credits = self.lines.get(currency, ZERO), self.creditors.get(currency, ZERO)
            total = documents.get(currency, ZERO).quantize(quantum(_places(lines)))
            agrees = lines == -credits == total
            texts.append(
                f"{currency}: lines {lines:,} debit, creditors {-credits:,} credit, documents' gross {total:,}: "
                + ("balanced" if agrees else "NOT BALANCED")
            )
        return texts


def _places(amount: Decimal) -> int:
    """The number of decimal places ``amount`` is written with."""
    return max(0, -amount.as_tuple().exponent)
