"""A statement as one plain document: what the finance API, the export, the PDF and the
portal all show, built in one place.

``documents(ids)`` loads any number of statements in a constant number of queries (the
statements, their contracts with both parties, their lines, and, when asked, the KPI
catalogue of their scorecards); ``document(statement)`` builds the same value from one
statement in memory (the one being issued has its number and dates set before it is saved).
Both read the same columns by the same names and give them to one constructor, so a field
is added here once and every consumer derives it from the document. A line's ``title`` is its
component's title in the statement's terms version (one more query), or its id made readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connections
from django.db.models import F, Lookup

from contracts.components import kpi_entry_target
from contracts.models import Component, Contract, Kpi
from contracts.selectors import currency_decimal_places
from core.databases import database_path
from pricing.money import quantum

from .models import Statement, StatementLine

# A party's details, frozen at issue (``billing.services.party_details``); documents issued
# before the payment details existed have none of them ("").
PARTY_FIELDS = (
    "name",
    "address",
    "country",
    "vat_number",
    "registration_number",
    "iban",
    "bic",
    "sort_code",
    "account_number",
    "remittance_email",
)
# The buyer's reference (PO number) is kept with the buyer's details frozen at issue.
BUYER_REFERENCE_KEY = "buyer_reference"


@dataclass(frozen=True, slots=True)
class Party:
    """A party as the document names it: details frozen at issue, or the live ones of a draft."""

    code: str
    name: str
    address: str
    country: str
    vat_number: str
    registration_number: str = ""
    iban: str = ""
    bic: str = ""
    sort_code: str = ""
    account_number: str = ""
    remittance_email: str = ""

    @property
    def has_bank_details(self) -> bool:
        return bool(self.iban or (self.sort_code and self.account_number))


@dataclass(frozen=True, slots=True)
class DocumentContract:
    reference: str
    title: str
    self_billing: bool
    payment_terms_days: int
    buyer_reference: str = ""  # live, the contract's now: a document reads its own


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One line. ``component`` is the component's id, ``title`` the name people read
    (:func:`component_title`)."""

    position: int
    component: str
    kind: str
    kpi: str
    amount: Decimal
    explanation: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    """A KPI of the month against its target (percent or the KPI's own unit). ``threshold``
    and ``stretch`` are the experience bonus's anchors when the terms give them (``None`` for a
    service credit's target alone); ``scale_min`` and ``scale_max`` are the catalogue's bounds
    of the KPI's values (``None`` when it has none, as for seconds above zero)."""

    code: str
    name: str
    unit: str
    target: Decimal
    actual: Decimal | None
    met: bool
    lower_is_better: bool
    threshold: Decimal | None = None
    stretch: Decimal | None = None
    scale_min: Decimal | None = None
    scale_max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """An issued or draft statement as plain values. Amounts are Decimals as stored (the
    currency's ``decimal_places``); ``adjusts`` and ``replaces`` are the other documents'
    numbers; ``approved_by``, ``issued_by``, ``paid_by`` are usernames (``None`` when no user
    was named); ``scorecard`` is ``None`` when it was not loaded (lists do not show it)."""

    id: int
    number: str | None
    revision: int
    status: str
    document_type: str
    period: str
    currency: str
    decimal_places: int
    contract: DocumentContract
    buyer: Party
    supplier: Party
    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_rate: Decimal
    issue_date: date | None
    due_date: date | None
    paid_at: datetime | None
    approved_by: str | None
    issued_by: str | None
    paid_by: str | None
    adjusts: str | None
    replaces: str | None
    void_reason: str
    flags: tuple[str, ...]
    lines: tuple[DocumentLine, ...]
    scorecard: tuple[ScorecardRow, ...] | None = None
    # The buyer's reference or PO number: frozen at issue with the buyer's details (empty on
    # documents issued before it was kept), the contract's current one on a draft.
    buyer_reference: str = ""

    @property
    def status_label(self) -> str:
        return Statement.Status(self.status).label

    @property
    def document_type_label(self) -> str:
        return Statement.DocumentType(self.document_type).label

    def amount_text(self, amount: Decimal) -> str:
        """``amount`` with exactly the currency's decimal places, no separators (``"62500.00"``)."""
        return str(amount.quantize(quantum(self.decimal_places)))


# The columns each document is built from, by ORM path: the queries select them and
# ``document`` reads the same paths from a statement in memory.
STATEMENT_FIELDS = (
    "pk",
    "contract_id",
    "number",
    "revision",
    "status",
    "document_type",
    "period",
    "currency",
    "net",
    "tax",
    "gross",
    "tax_rate",
    "issue_date",
    "due_date",
    "paid_at",
    "approved_by__username",
    "issued_by__username",
    "paid_by__username",
    "adjusts__number",
    "replaces__number",
    "void_reason",
    "flags",
    "buyer_details",
    "supplier_details",
    "terms_version_id",
)
CONTRACT_FIELDS = (
    "pk",
    "reference",
    "title",
    "self_billing",
    "payment_terms_days",
    "buyer_reference",
    *(f"buyer__{field}" for field in ("code", *PARTY_FIELDS)),
    *(f"supplier__{field}" for field in ("code", *PARTY_FIELDS)),
)
LINE_FIELDS = ("statement_id", "position", "component_id", "kind", "kpi", "amount", "explanation")


class AnyOf(Lookup):
    """``field = ANY(array)``: a list of ids as one PostgreSQL array parameter."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


class IdsQuery:
    """A values query of ``model`` rows whose ``key`` is one of a list of ids: ``build`` turns
    the filtered queryset into the values query (ordering and columns)."""

    def __init__(self, model, key: str, build):
        self.model = model
        self.key = key
        self.build = build
        self.compiled: dict[str, tuple] = {}


def _rows_portable(query: IdsQuery, ids: list[int]) -> list[tuple]:
    """The rows with ``key IN (ids)``: one parameter per id, the query built on every call."""
    return list(query.build(query.model.objects.filter(**{f"{query.key}__in": ids})))


def _rows_postgresql(query: IdsQuery, ids: list[int]) -> list[tuple]:
    """The same rows with the ids as one array parameter, so the SQL does not depend on them:
    the ORM compiles it once per database and each call runs it with the new ids. On the
    finance API's list the ORM's building of these queries cost more CPU than running them
    (docs/performance.md). The rows go through the converters the ORM would apply (JSON
    columns come back as text)."""
    connection = connections[query.model.objects.db]
    compiled = query.compiled.get(connection.alias)
    if compiled is None:
        queryset = query.build(query.model.objects.filter(AnyOf(F(query.key), ids)))
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [ids]:  # the ids must be the only parameter
            return [tuple(row) for row in queryset]
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        query.compiled[connection.alias] = compiled = (sql, compiler, converters)
    sql, compiler, converters = compiled
    with connection.cursor() as cursor:
        # The ids as an array literal: PostgreSQL types it from the column it meets.
        cursor.execute(sql, ["{" + ",".join(map(str, map(int, ids))) + "}"])
        rows = cursor.fetchall()
    if not converters:
        return rows
    return [tuple(row) for row in compiler.apply_converters(rows, converters)]


rows_by_ids = database_path("billing.rows_by_ids", postgresql=_rows_postgresql, portable=_rows_portable)

STATEMENTS = IdsQuery(Statement, "pk", lambda rows: rows.order_by().values_list(*STATEMENT_FIELDS))
STATEMENT_INPUTS = IdsQuery(Statement, "pk", lambda rows: rows.order_by().values_list("pk", "inputs"))
CONTRACTS = IdsQuery(Contract, "pk", lambda rows: rows.order_by().values_list(*CONTRACT_FIELDS))
COMPONENTS = IdsQuery(
    Component, "version_id", lambda rows: rows.order_by().values_list("version_id", "component_id", "params")
)
LINES = IdsQuery(
    StatementLine,
    "statement_id",
    lambda rows: rows.order_by("statement_id", "position").values_list(*LINE_FIELDS),
)


def documents(statement_ids: Iterable[int], *, with_scorecard: bool = False) -> dict[int, StatementDocument]:
    """The documents of the statements ``statement_ids`` (unknown ids are left out), by id.

    Four queries whatever the number of ids (statements, contracts, lines, the components of
    their terms versions), two more with ``with_scorecard`` (the statements' input snapshots
    and the KPI catalogue)."""
    statement_ids = list(statement_ids)
    if not statement_ids:
        return {}
    statements = rows_by_ids(STATEMENTS, statement_ids)
    contracts = {row[0]: row for row in rows_by_ids(CONTRACTS, sorted({row[1] for row in statements}))}
    lines: dict[int, list[tuple]] = {row[0]: [] for row in statements}
    for row in rows_by_ids(LINES, list(lines)):
        lines[row[0]].append(row)
    titles = component_titles({row[STATEMENT_FIELDS.index("terms_version_id")] for row in statements})
    scorecards = {}
    if with_scorecard:
        inputs = dict(rows_by_ids(STATEMENT_INPUTS, list(lines)))
        catalogue = _kpi_catalogue(_targets(snapshot) for snapshot in inputs.values())
        scorecards = {pk: scorecard(snapshot, catalogue) for pk, snapshot in inputs.items()}
    version_at = STATEMENT_FIELDS.index("terms_version_id")
    return {
        row[0]: _document(
            row, contracts[row[1]], lines[row[0]], scorecards.get(row[0]), titles[row[version_at]]
        )
        for row in statements
    }


def document(statement: Statement, *, with_scorecard: bool = False) -> StatementDocument:
    """The document of ``statement`` as it is in memory (its contract, parties and lines are
    read from the database if not loaded with it), equal to what ``documents`` gives for the
    saved row."""
    lines = [_values(line, LINE_FIELDS) for line in statement.lines.all()]  # ordered by position
    rows = None
    if with_scorecard:
        rows = scorecard(statement.inputs, _kpi_catalogue([_targets(statement.inputs)]))
    titles = {c.component_id: _title_of(c.params) for c in statement.terms_version.components.all()}
    return _document(
        _values(statement, STATEMENT_FIELDS),
        _values(statement.contract, CONTRACT_FIELDS),
        lines,
        rows,
        titles,
    )


def component_titles(version_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The components' ``title`` (``""`` when it has none) by component id, for each terms
    version of ``version_ids`` (every id is a key); one query."""
    version_ids = sorted(set(version_ids))
    titles: dict[int, dict[str, str]] = {version_id: {} for version_id in version_ids}
    if version_ids:
        for version_id, component_id, params in rows_by_ids(COMPONENTS, version_ids):
            titles[version_id][component_id] = _title_of(params)
    return titles


def _title_of(params) -> str:
    """The ``title`` of a component's stored parameters (``""`` when it has none)."""
    title = params.get("title") if isinstance(params, dict) else None
    return title if isinstance(title, str) else ""


def readable_id(component_id: str) -> str:
    """A component id as a name: ``"contacts_voice"`` → ``"Contacts voice"``, ``"mgmt"`` → ``"Mgmt"``."""
    words = component_id.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else component_id


def component_title(component_id: str, title: str | None) -> str:
    """What a line is called: its component's title, or else its id made readable."""
    return title or readable_id(component_id)


def _values(instance, paths: Sequence[str]) -> tuple:
    """The values at ``paths`` (``"adjusts__number"``) of ``instance``; ``None`` past a missing relation."""
    values = []
    for path in paths:
        value = instance
        for name in path.split("__"):
            value = None if value is None else getattr(value, name)
        values.append(value)
    return tuple(values)


def _party(contract: tuple, offset: int, details: dict) -> Party:
    """The party at ``offset`` in the contract row (code then ``PARTY_FIELDS``); ``details``,
    frozen at issue, win over the organisation's current ones."""
    code, *live = contract[offset : offset + 1 + len(PARTY_FIELDS)]
    values = details or dict(zip(PARTY_FIELDS, live, strict=True))
    return Party(code, *(values.get(field, "") for field in PARTY_FIELDS))


def _buyer_reference(live: str, buyer_details: dict) -> str:
    """The reference frozen with the buyer's details at issue, or the contract's ``live`` one
    for a document not issued yet (no details)."""
    if buyer_details:
        return buyer_details.get(BUYER_REFERENCE_KEY, "")
    return live or ""


def _document(
    statement: tuple, contract: tuple, lines: list[tuple], rows, titles: dict[str, str]
) -> StatementDocument:
    values = dict(zip(STATEMENT_FIELDS, statement, strict=True))
    currency = str(values["currency"])
    return StatementDocument(
        id=values["pk"],
        number=values["number"],
        revision=values["revision"],
        status=values["status"],
        document_type=values["document_type"],
        period=values["period"],
        currency=currency,
        decimal_places=currency_decimal_places(currency),
        contract=DocumentContract(*contract[1:6]),
        buyer=_party(contract, 6, values["buyer_details"]),
        supplier=_party(contract, 7 + len(PARTY_FIELDS), values["supplier_details"]),
        buyer_reference=_buyer_reference(contract[5], values["buyer_details"]),
        net=values["net"],
        tax=values["tax"],
        gross=values["gross"],
        tax_rate=values["tax_rate"],
        issue_date=values["issue_date"],
        due_date=values["due_date"],
        paid_at=values["paid_at"],
        approved_by=values["approved_by__username"],
        issued_by=values["issued_by__username"],
        paid_by=values["paid_by__username"],
        adjusts=values["adjusts__number"],
        replaces=values["replaces__number"],
        void_reason=values["void_reason"],
        flags=tuple(flag["code"] for flag in values["flags"]),
        lines=tuple(
            DocumentLine(*line[1:], title=component_title(line[2], titles.get(line[2]))) for line in lines
        ),
        scorecard=rows,
    )


def _targets(inputs: dict) -> dict[str, Decimal]:
    """KPI code → target of the experience and service-credit components the pricing used
    (the first component naming a KPI sets its target)."""
    targets: dict[str, Decimal] = {}
    for component in inputs.get("terms", {}).get("components", []):
        if component["type"] in ("experience_bonus", "service_credit"):
            for entry in component["params"].get("kpis", []):
                targets.setdefault(entry["kpi"], Decimal(kpi_entry_target(entry)))
    return targets


def _anchors(inputs: dict) -> dict[tuple[str, Decimal], tuple[Decimal, Decimal]]:
    """(KPI code, target) → (threshold, stretch) of the experience-bonus entries: keyed by the
    target too, so a service credit's target is never drawn with a bonus's other curve."""
    anchors: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for component in inputs.get("terms", {}).get("components", []):
        if component["type"] == "experience_bonus":
            for entry in component["params"].get("kpis", []):
                key = (entry["kpi"], Decimal(entry["target"]))
                anchors.setdefault(key, (Decimal(entry["threshold"]), Decimal(entry["stretch"])))
    return anchors


def _kpi_catalogue(targets: Iterable[dict[str, Decimal]]) -> dict[str, Kpi]:
    codes = set().union(*targets)
    return {kpi.code: kpi for kpi in Kpi.objects.filter(code__in=codes)} if codes else {}


def scorecard(inputs: dict, catalogue: dict[str, Kpi]) -> tuple[ScorecardRow, ...]:
    """The month's KPIs against their targets, from the input snapshot the pricing used; a
    KPI not measured has no actual and is not met."""
    values = inputs.get("kpis", {})
    anchors = _anchors(inputs)
    rows = []
    for code, target in _targets(inputs).items():
        kpi = catalogue[code]
        raw = (values.get(code) or {}).get("value")
        actual = None if raw is None else Decimal(raw)
        lower = kpi.direction == Kpi.Direction.LOWER_IS_BETTER
        met = actual is not None and (actual <= target if lower else actual >= target)
        threshold, stretch = anchors.get((code, target), (None, None))
        rows.append(
            ScorecardRow(
                code,
                kpi.name,
                kpi.unit,
                target,
                actual,
                met,
                lower,
                threshold,
                stretch,
                kpi.min_value,
                kpi.max_value,
            )
        )
    return tuple(rows)
