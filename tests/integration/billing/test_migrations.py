"""Migrations that change data already in the database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Statement
from billing.services import statement_approve, statement_issue, statement_price_draft
from pricing.period import Period

from .conftest import load_kpis, month

BEFORE_PARTIES = [("billing", "0008_statement_api_index")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_documents_issued_before_0009_get_their_parties_and_stay_unfrozen(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    issued = statement_issue(statement_id=draft.pk)
    # Every app's latest, not billing's only: going back to 0008 also unapplies the migrations
    # of apps that depend on a later billing migration (webhooks), which must come back too.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        migrate(BEFORE_PARTIES)
        migrate(latest)
    finally:
        migrate(latest)
    after = Statement.objects.values("buyer_id", "supplier_id", "api_representation").get(pk=issued.pk)
    assert (after["buyer_id"], after["supplier_id"]) == (contract.buyer_id, contract.supplier_id)
    # Its representation was not kept before: the API builds it from its values.
    assert after["api_representation"] is None
