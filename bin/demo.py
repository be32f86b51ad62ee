"""The demo: a fresh SQLite database, the demo contracts, three months billed and issued,
and a late correction that becomes an adjustment document.

Run with ``make demo``. Every step is a management command a user could run by hand.
"""

import json
import os
import re
import subprocess
import sys
from email import message_from_string, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "demo.sqlite3"
# DEBUG on: the demo runs with the development secret key, on this machine only.
ENV = {
    **os.environ,
    "DATABASE_URL": f"sqlite:///{DB}",
    "MEDIA_ROOT": str(ROOT / "media" / "demo"),
    "DEBUG": os.environ.get("DEBUG", "1"),
}
ENV.pop("CELERY_BROKER_URL", None)
MONTHS = [("2026-01", "2026-01.csv"), ("2026-02", "2026-02.csv"), ("2026-03", "2026-03.xlsx")]
# One supplier portal user per demo supplier organisation (its code in fixtures/contracts).
PORTAL_USERS = {"northwind": "NORTHWIND", "lumen": "LUMEN", "pennine": "PENNINE"}
PORTAL_PASSWORD = "demo-portal-2026"  # noqa: S105 (the demo database only)


def manage(*args: str) -> None:
    print(f"$ python manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=ENV)


def shown_with_emails(output: str) -> str:
    """``output`` of a command with each email the console backend printed shortened to one
    line: whom it was sent to and its subject (decoded)."""
    shown, email = [], None
    for line in output.splitlines():
        if email is None and line.startswith("Content-Type: multipart/"):
            email = [line]
        elif email is not None and line == "-" * 79:
            message = message_from_string("\n".join(email), policy=policy.default)
            shown.append(f"  email to {message['To']}: {str(message['Subject']).strip()}")
            email = None
        elif email is not None:
            email.append(line)
        else:
            shown.append(line)
    return "\n".join(shown)


def manage_emailing(*args: str) -> None:
    """Run a command that sends emails (printed by the console backend) and show its output with
    each email as one line."""
    print(f"$ python manage.py {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    )
    print(shown_with_emails(result.stdout), flush=True)


def refused(*args: str) -> None:
    """Run a command that must be refused, and show the first lines of what it says."""
    print(f"$ python manage.py {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, capture_output=True, text=True
    )
    assert result.returncode != 0, f"{args} was not refused"
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    print("\n".join(f"  {line[:150]}" for line in lines[:3]), flush=True)


def main() -> None:
    DB.unlink(missing_ok=True)
    manage("migrate", "--verbosity", "0")
    index_series_step()
    manage(
        "import_contracts",
        *sorted(f"fixtures/contracts/{p.name}" for p in (ROOT / "fixtures" / "contracts").glob("*.yaml")),
    )
    for period, name in MONTHS[:-1]:
        manage("ingest_kpis", f"fixtures/kpis/{name}")
        manage("run_billing", "--period", period)
        manage("issue_statements", "--period", period)
    period, name = MONTHS[-1]
    index_published_step()
    print(f"\n{period} for Acme with four-eyes: one procurement user runs and issues, another approves:")
    for username in ("acme-procurement", "acme-approver"):
        manage(
            "set_user",
            "--organisation=ACME",
            "--role=procurement",
            f"--username={username}",
            f"--email={username.removeprefix('acme-')}@acme.example",
            f"--password={PORTAL_PASSWORD}",
        )
    manage("ingest_kpis", f"fixtures/kpis/{name}")
    manage("run_billing", "--period", period, "--user", "acme-procurement")
    refused("issue_statements", "--period", period, "--approve-only", "--user", "acme-procurement")
    manage("issue_statements", "--period", period, "--approve-only", "--user", "acme-approver")
    manage("issue_statements", "--period", period, "--user", "acme-procurement")
    print(f"\nThe other buyers' {period}, by the system actor:", flush=True)
    manage("run_billing", "--period", period)
    manage("issue_statements", "--period", period)
    print("\nA late correction to February arrives after February was issued:", flush=True)
    manage("ingest_kpis", "fixtures/kpis/2026-02-correction.csv")
    manage("run_billing", "--period", "2026-02")
    manage("issue_statements", "--period", "2026-02")
    manage("export_statements", "--period", "2026-02", "--status", "issued")
    manage("write_pdfs", "--out", "out")
    manage("export_journal", "--period", "2026-02", "--out", "out/journal-2026-02.csv")
    print("The PDFs are Factur-X (PDF/A-3b with their EN 16931 XML); each document's Peppol UBL:", flush=True)
    manage("export_ubl", "ACME-2026-000002", "--out", "out/ACME-2026-000002.xml")
    manage("statement_table")
    for username, code in PORTAL_USERS.items():
        who = [f"--organisation={code}", f"--username={username}", f"--email={username}@example.com"]
        manage("set_user", *who, "--role=supplier", f"--password={PORTAL_PASSWORD}")
    print("\nAcme's finance user gets an API token, shown once and stored hashed:")
    manage(
        "set_user",
        "--organisation=ACME",
        "--role=finance",
        "--username=acme-finance",
        "--email=finance@acme.example",
    )
    manage("create_api_token", "--username=acme-finance")
    supplier_late_submission()
    supplier_query()
    print("\nHostile files are refused before they can cost memory or reach the database:", flush=True)
    refused("ingest_kpis", "tests/hostile/kpis/dimension-xfd1048576.xlsx")
    refused("ingest_kpis", "tests/hostile/kpis/zip-bomb-ratio.xlsx")
    refused("import_contracts", "tests/hostile/contracts/amount-exponent-text.yaml")
    refused("import_contracts", "tests/hostile/contracts/billion-laughs.yaml")
    print("\nThe bad demo file is refused with its error report, and nothing is ingested:", flush=True)
    bad = subprocess.run(
        [sys.executable, "manage.py", "ingest_kpis", "fixtures/kpis/bad/2026-03-bad.csv"], cwd=ROOT, env=ENV
    )
    assert bad.returncode != 0
    history_and_self_billing()
    accruals_step()
    value_step()
    simulation_step()
    serve = f"DEBUG=1 DATABASE_URL=sqlite:///{DB.name} MEDIA_ROOT=media/demo python manage.py runserver"
    print(f"\nDemo database: {DB.name}. Try: {serve}")
    print(f"Supplier portal at /: log in as {', '.join(PORTAL_USERS)}, password {PORTAL_PASSWORD}")
    print(
        f"Admin at /admin/: acme-procurement or acme-approver, password {PORTAL_PASSWORD}, see only Acme's "
        "contracts. Start at Month close; a statement's page approves, issues, previews the DRAFT PDF and "
        "what the supplier sees, and shows who did what; a contract's page has Simulate terms"
    )


def index_series_step() -> None:
    """The CPI series Northern Water's prices are indexed on, before the contracts name it."""
    print("The CPI series (invented values) that Northern Water's contract is indexed on:", flush=True)
    manage(
        "import_index",
        "fixtures/indices/cpi.csv",
        "--series=CPI",
        "--name=Consumer prices index",
        "--publisher=Demo statistics office (invented values)",
        "--unit=2015=100",
    )


def index_published_step() -> None:
    """CPI January 2026 is published: Northern Water's March anniversary reads it."""
    print("\nCPI 2026-01 is published; Northern Water's prices rise by 65 % of CPI from March:", flush=True)
    manage("import_index", "fixtures/indices/cpi-2026-01.csv")


def supplier_late_submission() -> None:
    """Northwind, a supplier user, may send only its own figures; its change to January, which is
    issued, waits for procurement's review, and once accepted becomes an adjustment that the
    other procurement user approves (four-eyes)."""
    print(
        "\nNorthwind sends only its own figures (CSAT is Acme's survey), and a change to issued January waits:"
    )
    refused("ingest_kpis", "fixtures/kpis/bad/2026-01-northwind-csat.csv", "--user=northwind")
    args = ("ingest_kpis", "fixtures/kpis/2026-01-northwind-late.csv", "--user=northwind")
    print(f"$ python manage.py {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    )
    print(result.stdout, end="", flush=True)
    batch = re.search(r"as batch (\d+)", result.stdout).group(1)
    manage("review_kpis")
    manage("review_kpis", batch, "--accept", "--user=acme-procurement")
    manage("issue_statements", "--period", "2026-01", "--approve-only", "--user", "acme-approver")
    print("  Issuing it emails Northwind's portal user (each email the console backend prints, in one line):")
    manage_emailing("issue_statements", "--period", "2026-01", "--user", "acme-procurement")
    print(
        f"  Review page: /admin/kpis/kpibatch/{batch}/; Northwind sees it under KPI submissions in the portal"
    )


# The dispute, as the portal and the admin do it (their services, in one process).
QUERY_CODE = """
from pathlib import Path
from django.contrib.auth.models import User
from billing.models import Statement
from billing.queries import CorrectedFile, statement_acknowledge, statement_query_raise, statement_query_resolve
from billing.services import statement_mark_paid
from billing.query_selectors import query_adjustments
northwind, procurement = User.objects.get(username="northwind"), User.objects.get(username="acme-procurement")
march = Statement.objects.get(contract__reference="ACME-TEL-001", period="2026-03", revision=1)
line = march.lines.get(component_id="savings")
print(f"Northwind raises a query on {march.number}, line {line.position + 1} (shared savings):")
query = statement_query_raise(statement_id=march.pk, user=northwind, line_position=line.position,
    text="Cost to serve for March includes a 500.00 training credit we refunded: it should be 117,957.02.")
corrected = Path("fixtures/kpis/2026-03-cost-to-serve-corrected.csv")
print(f"acme-procurement accepts query {query.pk} with {corrected}:")
query = statement_query_resolve(query_id=query.pk, user=procurement, resolution="accepted",
    text="Agreed: the refund is out of scope. Corrected cost to serve attached.",
    corrected=CorrectedFile(corrected.name, corrected.read_bytes()))
adjustment = query_adjustments([query])[query.pk]
print(f"  the correcting run drafts adjustment r{adjustment.revision} of {march.number}: net {adjustment.net:,.2f}")
ack = statement_acknowledge(statement_id=march.pk, user=northwind)
print(f"Northwind acknowledges self-billed invoice {march.number} ({ack.acknowledged_by.username})")
february = Statement.objects.get(contract__reference="ACME-TEL-001", period="2026-02", revision=1)
print(f"Northwind raises a query on the whole of {february.number}, left open for procurement:")
statement_query_raise(statement_id=february.pk, user=northwind,
    text="February's service level is below what our own platform measured: which sites does it cover?")
january = Statement.objects.get(contract__reference="ACME-TEL-001", period="2026-01", revision=1)
statement_mark_paid(statement_id=january.pk)
print(f"{january.number} is marked paid: the portal's list shows it paid, the rest outstanding")
"""


def supplier_query() -> None:
    """Northwind queries March's shared-savings line in the portal; procurement accepts it with a
    corrected cost to serve, which prices an adjustment through the correction path; another
    procurement user approves it and it is issued, each step emailed to the other side."""
    print("\nNorthwind queries March's shared savings; procurement accepts it with a corrected KPI file:")
    print("$ (the portal's Raise a query, the admin's Resolve and the portal's Acknowledge)", flush=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", QUERY_CODE],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    print("\n".join(f"  {line}" for line in shown_with_emails(result.stdout).splitlines()), flush=True)
    manage("issue_statements", "--period", "2026-03", "--approve-only", "--user", "acme-approver")
    manage_emailing("issue_statements", "--period", "2026-03", "--user", "acme-procurement")
    print(
        "  The query, its thread and the adjustment: the portal's March statement; the admin's Open queries"
    )


def history_and_self_billing() -> None:
    """A changed contract file imported by a named user, then where its History page is; and the
    self-billing rule refusing an issue date after the agreement with the supplier ends."""
    print("\nA changed contract file, imported by acme-procurement, is kept in the contract's history:")
    changed = ROOT / "out" / "acme-telecom-renamed.yaml"
    changed.parent.mkdir(exist_ok=True)
    source = (ROOT / "fixtures" / "contracts" / "acme-telecom.yaml").read_text()
    changed.write_text(
        source.replace("title: Acme Telecom consumer customer care", "title: Acme Telecom care")
    )
    manage("import_contracts", str(changed.relative_to(ROOT)), "--user=acme-procurement")
    code = (
        "from datetime import date; from django.urls import reverse; from contracts.models import Contract; "
        "from contracts.selectors import self_billing_problem; c = Contract.objects.get(reference='ACME-TEL-001'); "
        "print('History page: /admin/' + reverse('admin:contracts_contract_history', args=[c.pk]).split('/admin/')[1]); "
        "print('Issuing on 2028-03-01 is refused:', self_billing_problem(c, date(2028, 3, 1)))"
    )
    # Read from the database in-process; only what it finds is shown.
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    print("\n".join(f"  {line}" for line in result.stdout.splitlines()), flush=True)


def accruals_step() -> None:
    """Month-end accruals: April (not issued) estimated by ``average_3``, and March (issued)
    accrued by ``average_3`` against what was billed, with the difference to reverse."""
    print("\nAccruals (estimates; nothing is written): April not yet issued, March against its actuals:")
    for period in ("2026-04", "2026-03"):
        args = ["accrue", "--period", period, "--method", "average_3"]
        print(f"$ python manage.py {' '.join(args)}", flush=True)
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
            text=True,
        )
        for row in json.loads(result.stdout)["contracts"]:
            accrued, actual = row["accrued"]["net"], row["actual"]
            compared = (
                "not issued"
                if actual is None
                else f"actual {actual['net']}, reverse {row['difference']['net']}"
            )
            print(
                f"  {row['contract']:<18} {row['currency']} accrued net {accrued:>12} ({compared})",
                flush=True,
            )


PROPOSAL = "fixtures/contracts/proposals/acme-telecom-gainshare.yaml"


def simulation_step() -> None:
    """A proposal for Acme (a fixed fee and half the saving on cost to serve, instead of pay per
    contact) priced on its three months beside what they cost, with its incentive alignment; then
    with CSAT two points higher (the months only)."""
    print("\nSimulating proposed terms on Acme's history (nothing is written):")
    for extra in ([], ["--kpi", "csat=+2"]):
        args = ["simulate_terms", "--contract", "ACME-TEL-001", "--terms", PROPOSAL, *extra]
        print(f"$ python manage.py {' '.join(args)}", flush=True)
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
            text=True,
        )
        shown = result.stdout.split("incentive alignment")[0] if extra else result.stdout
        print("\n".join(f"  {line}" for line in shown.rstrip().splitlines()), flush=True)


def value_step() -> None:
    """What each side got of the value created, and how far Acme's spend has moved to results."""
    print("\nThe value each side gets, and Acme's portfolio for 2026 (admin, portal and API show the same):")
    code = (
        "from billing.portfolio import portfolio; from contracts.models import Organisation; "
        "b = Organisation.objects.get(code='ACME'); "
        "[print(f'  {c.contract.reference}: value created {c.totals.value:,.2f} {p.currency}, supplier '"
        "f'{c.totals.supplier_share:,.2f}, buyer kept {c.totals.buyer_retained:,.2f}; pay for results {c.mix} %') "
        "for p in portfolio(buyer_id=b.pk, year=2026) for c in p.contracts if c.totals.value is not None]"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=ENV, check=True
    )


if __name__ == "__main__":
    main()
