"""Reads for the supplier's drill-down: the terms behind a statement, and what each line used.

Both pages start from a statement the views found through
:func:`portal.selectors.statement_for_user` (``billing.permissions.visible_statements``), so
another supplier's document is never reached. A line's KPIs are read from the statement's own
snapshot (``inputs["kpis"]``: the values, numerators, denominators and batches it was priced
from), and their rows only from the batches that snapshot names (:mod:`kpis.breakdown`), so
the page shows the month as it was priced and no file of another document.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count

from billing.documents import component_title
from billing.models import Statement, StatementLine
from billing.month_close import component_kpi_codes
from contracts.components import component_rate_card, component_to_pricing
from contracts.models import Component, Kpi, TermsVersion
from contracts.selectors import contract_wording, kpi_catalogue, kpi_sources_of
from core.formatting import kpi_display, money_display
from kpis.breakdown import MAX_BATCHES, batches_by_id, kpi_breakdown
from kpis.consistency import kpi_checks_evaluate
from kpis.display import kpi_value_shown
from kpis.models import KpiBatch, KpiResult
from pricing.text import measure_text

# A statement has a few dozen lines at most; a larger line number is not looked up at all.
MAX_LINE_NUMBER = 10_000
PARTIES = dict(KpiBatch.Party.choices)
TYPES = dict(Component.Type.choices)
# Lines of a component with several measures that count only one of them: their parameter.
KIND_MEASURES = {"outcome_fee": ("measure",), "outcome_clawback": ("clawback_measure",)}
BREAKDOWNS = (("channel", "By channel", "(no channel)"), ("site", "By site", "(no site)"))


def component_name(component: dict) -> str:
    """A component's human name: its ``title`` when the contract gives one, else its id made
    readable (as the statement's lines name it)."""
    title = component.get("title") or (component.get("params") or {}).get("title")
    return component_title(str(component["id"]), str(title) if title else None)


def _snapshot_components(statement: Statement) -> list[dict]:
    """The components the statement was priced with (``{"id", "type", "params"}`` each)."""
    return list(((statement.inputs or {}).get("terms") or {}).get("components") or [])


def _version_components(version: TermsVersion) -> list[dict]:
    return [
        {"id": c.component_id, "type": c.type, "params": c.params}
        for c in version.components.order_by("position", "id")
    ]


def _kpi_codes(component: dict, catalogue) -> tuple[str, ...]:
    """The KPIs a component reads (``billing.month_close.component_kpi_codes``); none for a
    component no longer in canonical form (its rate card says so)."""
    try:
        pricing = component_to_pricing(
            component_id=component["id"],
            type_=component["type"],
            params=component["params"],
            catalogue=catalogue,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        return ()
    return component_kpi_codes(pricing)


def rule_text(rule: dict, names: dict[str, str]) -> str:
    """A canonical ``kpi_checks`` rule in words, with the catalogue's names."""
    kpi = names.get(rule["kpi"], rule["kpi"])
    if "equals_sum_of" in rule:
        parts = " + ".join(names.get(code, code) for code in rule["equals_sum_of"])
        tolerance = Decimal(rule["tolerance_percent"])
        within = "exactly" if tolerance == 0 else f"within {measure_text(tolerance)} %"
        return f"{kpi} equals {parts}, {within}"
    bounds = []
    if "min" in rule:
        bounds.append(f"at least {measure_text(Decimal(rule['min']))}")
    if "max" in rule:
        bounds.append(f"at most {measure_text(Decimal(rule['max']))}")
    return f"{kpi} is {' and '.join(bounds)}"


def _version_number(version: TermsVersion) -> int:
    """1 for the contract's first terms version, 2 for the next by effective month, and so on."""
    return TermsVersion.objects.filter(
        contract_id=version.contract_id, effective_from__lte=version.effective_from
    ).count()


def statement_terms_page(*, statement: Statement) -> dict:
    """The terms behind ``statement``: the rate card of the terms version that priced it, in
    words (component titles or ids, KPI names; codes beside them), the version's number and
    month, the document's currency and tax rate (percent), who measures each KPI the terms read,
    and the contract's consistency rules on KPI values. Queries: the version, its components,
    the catalogue (three), the versions before it."""
    contract = statement.contract
    version = statement.terms_version
    components = _version_components(version) or _snapshot_components(statement)
    wording = contract_wording(contract)
    catalogue = kpi_catalogue()
    rate_card, codes = [], {}
    for component in components:
        rate_card.append(
            {
                "name": component_name(component),
                "code": component["id"],
                "type": TYPES.get(component["type"], component["type"]),
                "lines": component_rate_card(
                    type_=component["type"], params=component["params"], wording=wording
                ),
            }
        )
        codes.update(dict.fromkeys(_kpi_codes(component, catalogue)))
    sources = kpi_sources_of(contract)
    return {
        "statement": statement,
        "version_number": _version_number(version),
        "effective_from": version.effective_from,
        "currency": statement.currency,
        "tax_rate": measure_text(statement.tax_rate),
        "rate_card": rate_card,
        "sources": [
            {
                "name": wording.kpi(code),
                "code": code,
                "party": PARTIES.get(sources.get(code, ""), "—"),
                "named_by_contract": code in contract.kpi_sources,
            }
            for code in codes
        ],
        "rules": [rule_text(rule, dict(wording.kpi_names)) for rule in contract.kpi_checks],
    }


def line_kpi_codes(line: StatementLine, component: dict | None, catalogue) -> tuple[str, ...]:
    """The KPIs a line used: its own ``kpi`` (a service credit or earn-back line is about one);
    for an outcome fee's fee or clawback line the one measure it counts (``KIND_MEASURES``);
    else those its component reads, with any its ``detail`` names (``payout.<code>``)."""
    if line.kpi:
        return (line.kpi,)
    if component and line.kind in KIND_MEASURES:
        params = component.get("params") or {}
        return tuple(params[key] for key in KIND_MEASURES[line.kind] if params.get(key))
    codes = dict.fromkeys(_kpi_codes(component, catalogue) if component else ())
    for key in line.detail or {}:
        if key.startswith("payout."):
            codes[key.removeprefix("payout.")] = None
    return tuple(codes)


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _exact(value: str | None) -> str:
    """A snapshot's numerator or denominator as it is, with thousands separators."""
    return "" if value is None else f"{Decimal(value):,f}"


def _shown(value: Decimal | None, kpi: Kpi, currency: str) -> str:
    return "not measured" if value is None else kpi_display(value, kpi.unit, currency=currency)


def _groups(breakdown, kpi: Kpi, currency: str, empty_label: str) -> dict:
    return {
        "rows": [
            {
                "label": group.key or empty_label,
                "value": _shown(group.month.value, kpi, currency),
                "row_count": group.month.row_count,
            }
            for group in breakdown.groups
        ],
        "shown": len(breakdown.groups),
        "count": breakdown.group_count,
        "truncated": breakdown.truncated,
    }


def rule_figures(rule: dict, values: dict, units: dict) -> str:
    """The month's figures a rule compares, at their units' precision: ``31,673 against
    25,023 + 6,650 = 31,673`` for a sum rule, the value for a range rule."""

    def shown(code: str, value: Decimal) -> str:
        return kpi_value_shown(value, units.get(code, ""))

    code = rule["kpi"]
    if "equals_sum_of" not in rule:
        return shown(code, values[code])
    parts = rule["equals_sum_of"]
    total = sum((values[part] for part in parts), Decimal(0))
    summed = " + ".join(shown(part, values[part]) for part in parts)
    return f"{shown(code, values[code])} against {summed} = {shown(code, total)}"


def _rules_about(code: str, rules: list[dict], values: dict, units: dict, names: dict) -> list[dict]:
    """The contract's rules naming ``code``, each with whether the priced values met it and
    the figures it compared (none when a KPI it names was not measured)."""
    about = []
    for rule in rules:
        named = [rule["kpi"], *rule.get("equals_sum_of", [])]
        if code not in named:
            continue
        figures, message = "", ""
        if any(values.get(c) is None for c in named):
            state, message = "not evaluated", "not every KPI it names was measured this month"
        else:
            failures = kpi_checks_evaluate(rules=[rule], values=values, units=units, where="This month")
            state = "failed" if failures else "held"
            message = failures[0].message if failures else ""
            figures = rule_figures(rule, values, units)
        about.append(
            {
                "text": rule_text(rule, names),
                "state": state,
                "message": message,
                "figures": figures,
                "is_total": "equals_sum_of" in rule and rule["kpi"] == code,
                "parts": " and ".join(names.get(part, part) for part in rule.get("equals_sum_of", [])),
            }
        )
    return about


def _kpi_block(*, statement: Statement, kpi: Kpi, entry: dict | None, rules: list[dict]) -> dict:
    """One KPI of the line: its snapshot value, what it is, its breakdowns, its rules."""
    currency = str(statement.currency)
    batch_ids = [int(b) for b in (entry or {}).get("batch_ids", [])][:MAX_BATCHES]
    common = {
        "contract_id": statement.contract_id,
        "period": statement.period,
        "kpi": kpi,
        "batch_ids": batch_ids,
    }
    by_batch = kpi_breakdown(**common, dimension="batch_id", limit=MAX_BATCHES)
    breakdowns = {dimension: kpi_breakdown(**common, dimension=dimension) for dimension, _, _ in BREAKDOWNS}
    channels = breakdowns["channel"].groups
    value = _number((entry or {}).get("value"))
    return {
        "code": kpi.code,
        "name": kpi.name,
        "description": kpi.description,
        "unit": kpi.get_unit_display(),
        "aggregation": kpi.aggregation,
        "aggregation_label": kpi.get_aggregation_display(),
        "scale": kpi.scale,
        "measured": entry is not None and value is not None,
        "value": _shown(value, kpi, currency),
        "exact": "" if value is None else f"{value:f}",
        "numerator": _exact((entry or {}).get("numerator")),
        "denominator": _exact((entry or {}).get("denominator")),
        "row_count": sum(group.month.row_count for group in by_batch.groups),
        "rows_by_batch": {group.key: group.month.row_count for group in by_batch.groups},
        "one_figure": len(channels) == 1 and channels[0].key == "",
        "breakdowns": [
            {"title": title, **_groups(breakdowns[dimension], kpi, currency, empty)}
            for dimension, title, empty in BREAKDOWNS
        ],
        "rules": rules,
    }


def line_page(*, statement: Statement, line_number: int) -> dict | None:
    """What line ``line_number`` (1 for the first line) of ``statement`` used: the line, the
    component that priced it (name and rate card), and per KPI it read (:func:`line_kpi_codes`)
    its value as priced, its catalogue description, its breakdown by channel and by site (at
    most ``kpis.breakdown.MAX_GROUPS`` groups each, the rest counted) and the consistency rules
    naming it; then the KPI files those values came from (file name, when, which party, status,
    rows used). ``None`` when the statement has no such line (any number outside 1 to
    ``MAX_LINE_NUMBER`` included)."""
    if not 1 <= line_number <= MAX_LINE_NUMBER:
        return None
    line = statement.lines.filter(position=line_number - 1).first()
    if line is None:
        return None
    catalogue = kpi_catalogue()
    components = {c["id"]: c for c in _snapshot_components(statement)}
    if not components:
        components = {c["id"]: c for c in _version_components(statement.terms_version)}
    component = components.get(line.component_id)
    codes = line_kpi_codes(line, component, catalogue)
    snapshot = (statement.inputs or {}).get("kpis") or {}
    kpis = {kpi.code: kpi for kpi in Kpi.objects.filter(code__in=set(codes) | set(snapshot))}
    values = {code: _number(entry.get("value")) for code, entry in snapshot.items()}
    units = {code: kpi.unit for code, kpi in kpis.items()}
    names = {code: kpi.name for code, kpi in kpis.items()}
    rules = statement.contract.kpi_checks
    blocks = [
        _kpi_block(
            statement=statement,
            kpi=kpis[code],
            entry=snapshot.get(code),
            rules=_rules_about(code, rules, values, units, names),
        )
        for code in codes
        if code in kpis
    ]
    wording = contract_wording(statement.contract)
    return {
        "statement": statement,
        "line_number": line_number,
        "line_count": statement.lines.count(),
        "line": {
            "component": component_name(component) if component else line.component_id,
            "code": line.component_id,
            "kind": line.kind.replace("_", " "),
            "kpi": names.get(line.kpi, line.kpi),
            "explanation": line.explanation,
            "amount": money_display(line.amount, statement.currency),
        },
        "rate_card": component_rate_card(type_=component["type"], params=component["params"], wording=wording)
        if component
        else [],
        "component_type": TYPES.get(component["type"], component["type"]) if component else "",
        "kpis": blocks,
        "batches": _batches(statement, blocks, snapshot, codes),
    }


def _batches(statement: Statement, blocks: list[dict], snapshot: dict, codes: tuple[str, ...]) -> list[dict]:
    """The files the line's KPI values came from, oldest first: only batches the statement's
    own snapshot names for those KPIs. Rows are counted for this contract's month only (a file
    may carry other contracts' rows too, which are not this supplier's to see)."""
    ids = sorted({int(b) for code in codes for b in (snapshot.get(code) or {}).get("batch_ids", [])})[
        :MAX_BATCHES
    ]
    if not ids:
        return []
    month_rows = dict(
        KpiResult.objects.filter(contract_id=statement.contract_id, period=statement.period, batch_id__in=ids)
        .values("batch_id")
        .annotate(rows=Count("pk"))
        .values_list("batch_id", "rows")
    )
    used = {}
    for block in blocks:
        for batch_id, rows in block["rows_by_batch"].items():
            used[batch_id] = used.get(batch_id, 0) + rows
    found = batches_by_id(ids)
    return [
        {
            "id": batch.pk,
            "file_name": batch.file_name,
            "uploaded_at": batch.uploaded_at,
            "party": PARTIES.get(batch.party, batch.party),
            "status": batch.get_status_display(),
            "rows_used": used.get(batch.pk, 0),
            "month_rows": month_rows.get(batch.pk, 0),
        }
        for batch in sorted(found.values(), key=lambda b: b.pk)
    ]
