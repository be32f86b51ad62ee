"""Issuers running at once, and alongside runs of the same month, never crash: each contract
is issued once with gap-free numbers, and what another process issued, voided or re-priced
meanwhile is skipped and counted in every issuer's report."""

import re
from datetime import date
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command

from billing import services
from billing.models import Statement
from billing.services import BillingError, statements_issue_period_report

from .test_runs import JAN, _manage_in_parallel, contracts_with_january

ISSUED_LINE = re.compile(
    r"^(?P<issued>\d+) statement\(s\) issued for 2026-01; (?P<found>\d+) found at the start: "
    r"(?P<issued_found>\d+) issued here, skipped: (?P<already>\d+) already issued by another process, "
    r"(?P<voided>\d+) voided meanwhile, (?P<replaced>\d+) re-priced meanwhile \(replacement issued here\)$"
)


def _between_listing_and_locking(action):
    """Run ``action(contract_id)`` for each contract just before the issuer locks it, as another
    process would between the issuer's first read and its lock."""
    real = services._issue_contract_month

    def interleaved(contract_id, *args):
        action(contract_id)
        return real(contract_id, *args)

    return mock.patch("billing.services._issue_contract_month", side_effect=interleaved)


@pytest.mark.django_db
def test_a_draft_re_priced_after_the_issuer_read_it_is_skipped_and_its_replacement_issued():
    contracts = contracts_with_january(3)
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())
    before = dict(Statement.objects.values_list("contract_id", "pk"))
    reprice = lambda contract_id: services.statement_price_draft(contract_id=contract_id, period=JAN)  # noqa: E731
    with _between_listing_and_locking(reprice):
        report = statements_issue_period_report(period=JAN, issue_date=date(2026, 2, 3))
    assert (report.found, report.issued_found, report.replaced, report.already_issued) == (3, 0, 3, 0)
    assert len(report.issued) == 3
    assert not Statement.objects.filter(pk__in=before.values()).exists()
    issued = Statement.objects.filter(period="2026-01", status="issued")
    assert sorted(issued.values_list("contract_id", flat=True)) == sorted(c.pk for c in contracts)


@pytest.mark.django_db
def test_statements_another_process_issued_or_voided_first_are_skipped_and_counted():
    contracts = contracts_with_january(3)
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())
    first, second = contracts[0].pk, contracts[1].pk

    def other_process(contract_id):
        if contract_id in (first, second):
            statement = Statement.objects.get(contract_id=contract_id, period="2026-01")
            services.statement_approve(statement_id=statement.pk)
            services.statement_issue(statement_id=statement.pk, issue_date=date(2026, 2, 3))
            if contract_id == second:
                services.statement_void(statement_id=statement.pk, reason="issued to the wrong buyer")

    out = StringIO()
    with _between_listing_and_locking(other_process):
        call_command("issue_statements", "--period", "2026-01", "--issue-date", "2026-02-03", stdout=out)
    counts = ISSUED_LINE.match(out.getvalue().splitlines()[-1]).groupdict()
    assert counts == {
        "issued": "1",
        "found": "3",
        "issued_found": "1",
        "already": "1",
        "voided": "1",
        "replaced": "0",
    }
    assert Statement.objects.get(contract=contracts[2], period="2026-01").number == "ACME-2026-000003"


@pytest.mark.django_db
def test_issuing_a_statement_that_no_longer_exists_is_a_billing_error_not_a_crash():
    contracts = contracts_with_january(1)
    draft = services.statement_price_draft(contract_id=contracts[0].pk, period=JAN)
    services.statement_price_draft(contract_id=contracts[0].pk, period=JAN)  # replaces it
    with pytest.raises(BillingError, match=f"statement {draft.pk} no longer exists"):
        services.statement_issue(statement_id=draft.pk)
    with pytest.raises(BillingError, match="re-priced meanwhile"):
        services.statement_approve(statement_id=draft.pk)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_six_runs_and_four_issuers_at_once_issue_each_contract_once_without_gaps():
    contracts = contracts_with_january(30)
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())  # the month has drafts
    runs = [["run_billing", "--period", "2026-01"]] * 6
    issuers = [["issue_statements", "--period", "2026-01", "--issue-date", "2026-02-03"]] * 4
    done = _manage_in_parallel(*runs, *issuers)
    for process in done:
        assert process.returncode == 0, process.stderr
        assert "Traceback" not in process.stderr and "DoesNotExist" not in process.stderr
    statements = Statement.objects.filter(period="2026-01")
    issued = statements.filter(status="issued")
    assert sorted(issued.values_list("contract_id", flat=True)) == sorted(c.pk for c in contracts)
    assert not statements.exclude(status="issued").exists()  # no draft left, no adjustment
    assert sorted(issued.values_list("number", flat=True)) == [f"ACME-2026-{n:06d}" for n in range(1, 31)]
    reports = [ISSUED_LINE.match(p.stdout.splitlines()[-1]).groupdict() for p in done[6:]]
    for report in reports:
        n = {key: int(value) for key, value in report.items()}
        assert n["found"] <= 30  # an issuer starting late finds some already issued
        assert n["issued_found"] + n["already"] + n["voided"] + n["replaced"] == n["found"], report
        assert n["issued"] == n["issued_found"] + n["replaced"], report
    assert sum(int(report["issued"]) for report in reports) == 30
