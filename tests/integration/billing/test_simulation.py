"""Simulating terms (billing.simulation): a contract's own stored terms reproduce its actual
statements to the cent, every month, over the golden scenarios and the demo; proposals
against hand-worked values; the range and file checks; and nothing written."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from billing.models import Statement, StatementLine
from billing.simulation import (
    SimulationError,
    simulation_contract,
    simulation_from_file,
    simulation_range,
)
from billing.simulation_json import simulation_json
from contracts.models import Contract
from contracts.services import contract_export
from pricing.period import Period
from tests.demo_index import import_demo_index
from tests.golden.test_golden import HERE as GOLDEN
from tests.golden.test_golden import SCENARIOS, scenario_export
from tests.integration.billing.conftest import load_contract, load_kpis
from tests.integration.billing.conftest import month as kpi_month

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"


def run(*args: str) -> None:
    call_command(*args, stdout=StringIO(), stderr=StringIO())


def own_terms(contract: Contract, **kwargs) -> dict:
    """The contract simulated on its own stored terms, exported as its contract file, from its
    first month with a statement (unless ``first`` is given) to its last."""
    kwargs.setdefault("first", Statement.objects.filter(contract=contract).order_by("period")[0].period)
    content = contract_export(contract=contract).encode()
    return simulation_json(
        simulation_from_file(contract=contract, file_name="own.yaml", content=content, **kwargs)
    )


def assert_reproduces_every_month(document: dict) -> None:
    """Every month has an actual statement and the simulation equals it to the cent."""
    assert document["months"], "no month simulated"
    for month in document["months"]:
        actual, proposed = month["actual"], month["proposed"]
        assert actual is not None, f"{document['contract']} {month['period']} has no statement"
        where = f"{document['contract']} {month['period']}"
        assert (proposed["net"], proposed["tax"], proposed["gross"]) == (
            actual["net"],
            actual["tax"],
            actual["gross"],
        ), where
        nonzero = {cid: amount for cid, amount in proposed["components"].items() if Decimal(amount)}
        assert nonzero == {cid: a for cid, a in actual["components"].items() if Decimal(a)}, where
        assert set(month["difference"]["components"].values()) <= {"0.00"}, where
        assert month["difference"]["net"] == "0.00", where
    totals = document["totals"]
    assert totals["difference"] == {"net": "0.00", "tax": "0.00", "gross": "0.00"}


# The property over the golden scenarios: late-correction's month is an invoice and its credit
# note (the actual is their sum), so the correction is reproduced too.
@pytest.mark.parametrize("name", SCENARIOS)
def test_own_terms_reproduce_the_golden_scenarios(name):
    scenario_export(GOLDEN / name)
    for contract in Contract.objects.all():
        document = own_terms(contract)
        assert_reproduces_every_month(document)
    if name == "late-correction":
        (month,) = document["months"]
        assert month["actual"]["status"] == "issued" and len(month["actual"]["documents"]) == 2
        assert month["proposed"]["net"] == "31825.00"  # 34,200.00 − 2,375.00 (README.md)


def demo_months() -> None:
    """The demo's months as bin/demo.py bills them, with its three late corrections: February's
    restated volumes, Northwind's January figures and March's corrected cost to serve (here
    ingested by the command-line operator, so they count at once), each billed and issued."""
    import_demo_index()  # northern-utility.yaml is indexed on the demo's CPI
    run("import_contracts", *sorted(str(p) for p in (FIXTURES / "contracts").glob("*.yaml")))
    for period, name in (("2026-01", "2026-01.csv"), ("2026-02", "2026-02.csv"), ("2026-03", "2026-03.xlsx")):
        run("ingest_kpis", str(FIXTURES / "kpis" / name))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period)
    for period, name in (
        ("2026-02", "2026-02-correction.csv"),
        ("2026-01", "2026-01-northwind-late.csv"),
        ("2026-03", "2026-03-cost-to-serve-corrected.csv"),
    ):
        run("ingest_kpis", str(FIXTURES / "kpis" / name))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period)


def test_own_terms_reproduce_every_demo_contract_and_month_with_its_corrections():
    demo_months()
    corrected = set(
        Statement.objects.filter(adjusts__isnull=False, status="issued").values_list(
            "contract__reference", "period"
        )
    )
    assert corrected, "the demo's corrections issued no adjustment"
    seen_corrected = set()
    for contract in Contract.objects.order_by("reference"):
        document = own_terms(contract, first="2026-01", last="2026-03")
        assert_reproduces_every_month(document)
        for month in document["months"]:
            key = (contract.reference, month["period"])
            if key in corrected:
                assert len(month["actual"]["documents"]) >= 2
                seen_corrected.add(key)
    assert seen_corrected == corrected


def test_own_terms_reproduce_an_earn_back_also_when_the_credit_is_before_the_range():
    # conftest.CONTRACT: fee 10,000; voice 3.00 to 1,000 then 2.00; 5 % credit below 80 with
    # a one-month earn-back. January misses (70), February meets (90) and earns January's back.
    contract = load_contract()
    load_kpis(
        kpi_month(contract.reference, "2026-01", 1200, 70)
        + kpi_month(contract.reference, "2026-02", 1200, 90)
    )
    for period in ("2026-01", "2026-02"):
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period)
    assert StatementLine.objects.filter(kind="earn_back", statement__period="2026-02").exists()
    assert_reproduces_every_month(own_terms(contract, first="2026-01"))
    # From February only: January is simulated before the range, its credit carried, not shown.
    document = own_terms(contract, first="2026-02")
    assert_reproduces_every_month(document)
    (february,) = document["months"]
    (earn_back,) = [line for line in february["proposed"]["lines"] if line["kind"] == "earn_back"]
    # January: charges 10,000 + 3,000 + 400 = 13,400; 5 % = 670.00, paid back in February.
    assert earn_back["amount"] == "670.00" and "2026-01" in earn_back["explanation"]


TELECOM = (GOLDEN / "telecom-month" / "contract.yaml").read_text()
PER_CALL_ONLY = TELECOM.replace(
    TELECOM[TELECOM.index("      - {id: savings") : TELECOM.index("      - id: sla")], ""
)
SIXTY_PERCENT = TELECOM.replace('supplier_percent: "50"', 'supplier_percent: "60"')


def telecom(text: str = TELECOM, **kwargs) -> dict:
    scenario_export(GOLDEN / "telecom-month")
    contract = Contract.objects.get(reference="GOLD-TEL-001")
    return simulation_json(
        simulation_from_file(contract=contract, file_name="proposal.yaml", content=text.encode(), **kwargs)
    )


# Proposals and what-ifs on GOLD-TEL-001's March 2026 (README.md: actual net 160,960.00: mgmt
# 15,000; voice 72,500 on 27,500 contacts; savings 75,000; experience 2,835; sla −4,375), by hand.
@pytest.mark.parametrize(
    ("text", "what_ifs", "net", "components"),
    [
        # per call only: savings and experience removed → 15,000 + 72,500 − 5 % × 87,500
        (PER_CALL_ONLY, [], "83125.00", {"mgmt": "15000.00", "voice": "72500.00", "sla": "-4375.00"}),
        # 60 % of the 150,000 saving = 90,000, under the 100,000 cap: +15,000
        (SIXTY_PERCENT, [], "175960.00", {"savings": "90000.00"}),
        # CSAT +3 → 90, at stretch: factor (40 × 1.5 + 30 × 1.2 + 30 × 0.8) / 100 = 1.2 → 2,625 × 1.2
        (TELECOM, ["csat=+3"], "161275.00", {"experience": "3150.00"}),
        # service level set to its target 80: no credit, +4,375
        (TELECOM, ["service_level=80"], "165335.00", {"sla": "0.00"}),
        # 10 % fewer voice contacts: 24,750 → 30,000 + 14,750 × 2.50 = 66,875; charges 81,875;
        # pool 2,456.25 × 1.08 = 2,652.75; credit 5 % = −4,093.75; savings unchanged (all contacts)
        (
            TELECOM,
            ["contacts_voice=*0.9"],
            "155434.00",
            {"voice": "66875.00", "experience": "2652.75", "sla": "-4093.75", "savings": "75000.00"},
        ),
    ],
)
def test_proposals_against_hand_worked_march(text, what_ifs, net, components):
    document = telecom(text, first="2026-03", last="2026-03", what_ifs=what_ifs)
    (month,) = document["months"]
    assert month["actual"]["net"] == "160960.00"
    assert month["proposed"]["net"] == net
    assert month["difference"]["net"] == str(Decimal(net) - Decimal("160960.00"))
    proposed = month["proposed"]["components"]
    assert {cid: proposed.get(cid, "0.00") for cid in components} == components
    assert document["what_ifs"] == what_ifs
    assert all(line["explanation"] for line in month["proposed"]["lines"])
    # The proposal's incentive alignment on the contract's latest month with KPI values.
    steps = [f for f in document["alignment"] if f["finding"] == "kpi"]
    assert steps and {f["period"] for f in steps} == {"2026-03"}
    assert {f["verdict"] for f in steps} <= {"aligned", "misaligned", "indifferent"}


def test_the_json_form_keeps_its_keys():
    document = telecom(first="2026-02", last="2026-03")
    assert list(document) == [
        "version",
        "contract",
        "currency",
        "from",
        "to",
        "what_ifs",
        "months",
        "totals",
        "alignment",
    ]
    february, march = document["months"]
    assert february["actual"] is None and february["difference"] is None  # no statement
    assert list(march) == ["period", "actual", "proposed", "difference"]
    assert list(march["actual"]) == ["status", "documents", "net", "tax", "gross", "components"]
    assert list(march["proposed"]) == ["net", "tax", "gross", "components", "lines", "flags"]
    assert list(march["proposed"]["lines"][0]) == ["component", "kind", "kpi", "amount", "explanation"]
    assert list(march["difference"]) == ["net", "tax", "gross", "components"]
    assert list(document["totals"]) == ["months", "compared_months", "proposed", "actual", "difference"]
    assert document["totals"]["months"] == 2 and document["totals"]["compared_months"] == 1
    # February is priced with nothing measured: the fee less 5 % + 3 % of it in credits (a KPI
    # not measured is missed), flagged.
    assert february["proposed"]["net"] == "13800.00" and "kpi_not_measured" in february["proposed"]["flags"]
    assert document["totals"]["proposed"]["net"] == "174760.00"  # 13,800 + 160,960


# Refused inputs, each naming the input and the problem; nothing is written either way.
@pytest.mark.parametrize(
    ("text", "kwargs", "field", "problem"),
    [
        (TELECOM.replace("GOLD-TEL-001", "GOLD-OTHER-1"), {}, "terms", "is for contract 'GOLD-OTHER-1'"),
        (TELECOM.replace('amount: "15000.00"', 'amount: "lots"'), {}, "terms", "proposal.yaml: terms[0]"),
        (TELECOM.replace("effective_from: 2026-01", "effective_from: 2026-04"), {}, "terms", "no version"),
        (TELECOM, {"first": "2026-13"}, "from", "not a valid period: 2026-13"),
        (TELECOM, {"first": "2025-12"}, "from", "before GOLD-TEL-001 starts"),
        (TELECOM, {"first": "2026-04", "last": "2026-03"}, "from", "2026-04 is after 2026-03"),
        (TELECOM, {"first": "2026-01", "last": "2029-01"}, "to", "at most 36 months"),
        (TELECOM, {"what_ifs": ["csat=+2", "widgets=*2"]}, "kpi", "'widgets' is not a KPI code"),
        (TELECOM, {"what_ifs": ["csat=2%"]}, "kpi", "expected CODE=+N, CODE=-N"),
    ],
)
def test_refused_inputs_name_the_field_and_problem(text, kwargs, field, problem):
    with pytest.raises(SimulationError) as raised:
        telecom(text, **kwargs)
    assert raised.value.field == field
    assert problem in str(raised.value)


def test_nothing_is_written():
    scenario_export(GOLDEN / "telecom-month")
    before = list(Statement.objects.values_list("pk", "status", "net")), StatementLine.objects.count()
    contract = Contract.objects.get(reference="GOLD-TEL-001")
    simulation_from_file(
        contract=contract, file_name="p.yaml", content=SIXTY_PERCENT.encode(), first="2026-03"
    )
    assert (
        list(Statement.objects.values_list("pk", "status", "net")),
        StatementLine.objects.count(),
    ) == before
    assert contract.versions.get().components.get(component_id="savings").params["supplier_percent"] == "50"


def test_the_range_defaults_to_twelve_months_up_to_the_latest_statement():
    scenario_export(GOLDEN / "telecom-month")
    contract = Contract.objects.get(reference="GOLD-TEL-001")
    assert simulation_range(contract=contract, first=None, last=None) == (Period(2026, 1), Period(2026, 3))
    assert simulation_range(contract=contract, first=None, last="2027-06") == (
        Period(2026, 7),
        Period(2027, 6),
    )


def test_another_buyers_contract_is_not_found_for_a_procurement_user():
    from django.contrib.auth.models import User

    from contracts.models import Membership, Organisation

    scenario_export(GOLDEN / "telecom-month")
    other = Organisation.objects.create(name="Other Buyer plc", code="OTHER", country="GB")
    user = User.objects.create_user("other-procurement")
    Membership.objects.create(user=user, organisation=other, role="procurement")
    with pytest.raises(SimulationError, match="no contract 'GOLD-TEL-001'"):
        simulation_contract(reference="GOLD-TEL-001", user=user)
    own = User.objects.create_user("gold-procurement")
    Membership.objects.create(
        user=own, organisation=Organisation.objects.get(code="GOLD"), role="procurement"
    )
    assert simulation_contract(reference="GOLD-TEL-001", user=own).reference == "GOLD-TEL-001"


def test_the_command_prints_the_table_and_the_json(tmp_path):
    scenario_export(GOLDEN / "telecom-month")
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(SIXTY_PERCENT)
    out = StringIO()
    args = ["simulate_terms", "--contract", "GOLD-TEL-001", "--terms", str(proposal), "--from", "2026-03"]
    call_command(*args, "--kpi", "csat=+3", stdout=out)
    table = out.getvalue().splitlines()
    assert table[0] == "GOLD-TEL-001 2026-03..2026-03 (GBP), what-ifs: csat=+3"
    # 175,960 (60 %) + 315 (CSAT at stretch) = 176,275; actual 160,960
    assert table[2].split() == ["2026-03", "160960.00", "176275.00", "15315.00"]
    assert table[3].split() == ["total", "160960.00", "176275.00", "15315.00"]
    out = StringIO()
    call_command(*args, "--format", "json", stdout=out)
    import json

    assert json.loads(out.getvalue())["months"][0]["proposed"]["components"]["savings"] == "90000.00"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (["--terms", "/nonexistent/p.yaml"], "no such file"),
        (["--contract", "NOPE"], "no contract 'NOPE'"),
        (["--kpi", "csat"], "expected CODE=[+]N"),
        (["--user", "nobody"], "no active user named 'nobody'"),
    ],
)
def test_the_command_refuses_with_a_clear_error(tmp_path, extra, problem):
    from django.core.management.base import CommandError

    scenario_export(GOLDEN / "telecom-month")
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(TELECOM)
    args = {"--contract": "GOLD-TEL-001", "--terms": str(proposal)}
    args.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    flat = [part for pair in args.items() for part in pair]
    with pytest.raises(CommandError, match=problem):
        call_command("simulate_terms", *flat, stdout=StringIO())


def test_the_demo_proposal_moves_acme_from_pay_per_contact_to_shared_savings():
    # January 2026 as the demo bills it (after Northwind's late figures): 32,074 contacts, cost to
    # serve 120,277.50; service level and abandonment within target. Proposed: the fixed fee
    # 85,000.00; baseline 4.20 × 32,074 = 134,710.80, saving 14,433.30, half = 7,216.65 (under
    # the 40,000 cap); the bonus pool 3 % of the charges 85,000 = 2,550.00; no voice or chat
    # lines, which the actual month had.
    demo_months()
    contract = Contract.objects.get(reference="ACME-TEL-001")
    proposal = (FIXTURES / "contracts" / "proposals" / "acme-telecom-gainshare.yaml").read_bytes()
    document = simulation_json(
        simulation_from_file(contract=contract, file_name="p.yaml", content=proposal, first="2026-01")
    )
    january = document["months"][0]
    proposed = january["proposed"]["components"]
    assert (proposed["mgmt"], proposed["savings"]) == ("85000.00", "7216.65")
    assert "sla" not in proposed and "voice" not in proposed
    (experience,) = [line for line in january["proposed"]["lines"] if line["component"] == "experience"]
    assert "85,000.00 = 2,550.00" in experience["explanation"]
    assert january["difference"]["components"]["voice"] == "-" + january["actual"]["components"]["voice"]
    assert [m["period"] for m in document["months"]] == ["2026-01", "2026-02", "2026-03"]


def test_contracts_simulated_together_cost_the_same_queries_whatever_their_number():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.simulation import proposed_terms, simulate_terms_for_contracts

    contracts = [load_contract(f"ACME-T-00{i}") for i in range(1, 5)]
    for contract in contracts:
        load_kpis(kpi_month(contract.reference, "2026-01", 1200, 70), name=f"{contract.reference}.csv")
    run("run_billing", "--period", "2026-01")
    content = contract_export(contract=contracts[0]).encode()
    terms = proposed_terms(contract=contracts[0], file_name="p.yaml", content=content)

    def queries(count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            simulations = simulate_terms_for_contracts(
                contracts=contracts[:count], terms=terms, first=Period(2026, 1), last=Period(2026, 2)
            )
        assert [s.months[0].actual.status for s in simulations] == ["draft"] * count
        return len(captured)

    assert queries(1) == queries(4)
