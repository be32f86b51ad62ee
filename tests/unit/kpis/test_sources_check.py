"""A supplier's file may carry only the supplier's figures: the check, row by row (no database)."""

from datetime import date

import pytest

from kpis.ingest import ContractRef, KpiFileRejected, check_file, read_kpi_file

from .test_ingest import HEADER, KPIS

CSAT, NPS = KPIS["csat"].id, KPIS["nps"].id
# As a supplier sees its contracts: ACME's survey figures are the buyer's, NORTH's NPS only.
SUPPLIER_VIEW = {
    "ACME-TEL-001": ContractRef(1, date(2026, 1, 1), None, frozenset({CSAT, NPS})),
    "NORTH-003": ContractRef(2, date(2026, 1, 1), None, frozenset({NPS})),
}


def problems(text: str, contracts=SUPPLIER_VIEW) -> list[str]:
    frame = read_kpi_file(file_name="k.csv", content=(HEADER + text).encode(), max_bytes=100_000)
    try:
        check_file(frame, contracts=contracts, kpis=KPIS)
    except KpiFileRejected as rejected:
        return [str(error) for error in rejected.errors]
    return []


def test_each_row_of_the_buyers_figures_is_refused_with_its_contract():
    text = (
        "ACME-TEL-001,2026-03,,contacts_voice,10,,,,\n"
        "ACME-TEL-001,2026-03,,csat,,8,10,,\n"
        "NORTH-003,2026-03,,csat,,8,10,,\n"
        "NORTH-003,2026-03,,nps,,3,10,,\n"
        "ACME-TEL-001,2026-03,,nps,,3,10,,site2\n"
    )
    assert problems(text) == [
        "row 3, kpi: csat is the buyer's figure on contract ACME-TEL-001: only the buyer submits it",
        "row 5, kpi: nps is the buyer's figure on contract NORTH-003: only the buyer submits it",
        "row 6, kpi: nps is the buyer's figure on contract ACME-TEL-001: only the buyer submits it",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "UNKNOWN-1,2026-03,,csat,,8,10,,\n",  # reported as an unknown contract only
        "ACME-TEL-001,2026-03,,no_such_kpi,1,,,,\n",  # reported as an unknown KPI only
        ",2026-03,,csat,,8,10,,\n",  # an empty contract cell
    ],
)
def test_unknown_references_are_reported_once_not_as_sources(line):
    found = problems(line)
    assert found and not any("buyer's figure" in problem for problem in found)


def test_without_restrictions_every_kpi_may_be_submitted():
    open_view = {
        reference: ContractRef(ref.id, ref.start_date, None) for reference, ref in SUPPLIER_VIEW.items()
    }
    assert problems("ACME-TEL-001,2026-03,,csat,,8,10,,\n", contracts=open_view) == []
