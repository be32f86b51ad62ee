"""The KPI catalogue's move from kpis to contracts changes no row and no column, and its
permissions follow it, forwards and backwards, with data in the tables."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contracts.models import Contract, Kpi, Organisation
from kpis.models import KpiBatch, KpiResult

BEFORE_MOVE = [("contracts", "0002_membership"), ("kpis", "0004_result_batch_not_indexed")]
AFTER_MOVE = [("contracts", "0003_kpi_catalogue"), ("kpis", "0005_kpi_catalogue_in_contracts")]
TABLES = ("kpis_kpi", "kpis_kpiresult")

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kpi_catalogue")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()


def latest() -> list[tuple[str, str]]:
    """Every app's latest migration: going back unapplies the other apps' migrations that
    depend on the ones undone (billing's), and the tests after this one need them all."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def kpi_state(targets):
    """The ``Kpi`` model and ``KpiResult.kpi``'s target as the migration state ``targets`` has them."""
    state = MigrationExecutor(connection).loader.project_state(targets)
    return {
        (model.app_label, model.name_lower): model.options.get("db_table")
        for model in state.models.values()
        if model.name_lower == "kpi"
    }, state.models[("kpis", "kpiresult")].fields["kpi"].remote_field.model


def schema() -> dict:
    with connection.cursor() as cursor:
        return {
            table: (
                [
                    (c.name, c.type_code, c.null_ok)
                    for c in connection.introspection.get_table_description(cursor, table)
                ],
                connection.introspection.get_constraints(cursor, table),
            )
            for table in TABLES
        }


def contents() -> dict:
    with connection.cursor() as cursor:
        rows = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            rows[table] = cursor.fetchall()
        return rows


def kpi_permission_labels(app_label: str, group: Group) -> set[str]:
    return set(
        Permission.objects.filter(
            content_type__app_label=app_label, content_type__model="kpi", group=group
        ).values_list("codename", flat=True)
    )


@pytest.fixture
def data():
    """KPI results naming the catalogue, and a group and a user granted its permissions."""
    buyer = Organisation.objects.create(name="Acme Telecom plc", code="ACME", country="GB")
    supplier = Organisation.objects.create(name="Northwind CX Ltd", code="NORTHWIND", country="GB")
    contract = Contract.objects.create(
        reference="ACME-MIG-001",
        title="Care",
        buyer=buyer,
        supplier=supplier,
        tax_rate=20,
        start_date=date(2026, 1, 1),
    )
    batch = KpiBatch.objects.create(file_name="k.csv", checksum="0" * 64, source="cli")
    for row, code in enumerate(("contacts_voice", "service_level", "csat"), start=2):
        KpiResult.objects.create(
            batch=batch,
            contract=contract,
            period="2026-03",
            kpi=Kpi.objects.get(code=code),
            value=Decimal("123456789012345.891"),
            source_row=row,
        )
    group = Group.objects.create(name="Catalogue readers")
    group.permissions.set(Permission.objects.filter(content_type=ContentType.objects.get_for_model(Kpi)))
    user = User.objects.create_user("reader", is_staff=True)
    user.groups.add(group)
    return group, user


def test_the_move_changes_no_row_or_column_and_the_permissions_follow_both_ways(data):
    group, user = data
    assert user.has_perm("contracts.view_kpi")
    try:
        migrate(AFTER_MOVE)  # later migrations add columns of their own
        after = schema(), contents()
        migrate(BEFORE_MOVE)
        assert kpi_state(BEFORE_MOVE) == ({("kpis", "kpi"): None}, "kpis.kpi")
        assert (schema(), contents()) == after
        assert kpi_permission_labels("kpis", group) == {"add_kpi", "change_kpi", "delete_kpi", "view_kpi"}
        assert not ContentType.objects.filter(app_label="contracts", model="kpi").exists()
        assert User.objects.get(pk=user.pk).has_perm("kpis.view_kpi")
        migrate(AFTER_MOVE)
        assert (schema(), contents()) == after
    finally:
        migrate(latest())
    assert kpi_state(latest()) == ({("contracts", "kpi"): "kpis_kpi"}, "contracts.kpi")
    assert kpi_permission_labels("contracts", group) == {"add_kpi", "change_kpi", "delete_kpi", "view_kpi"}
    assert not ContentType.objects.filter(app_label="kpis", model="kpi").exists()
    assert User.objects.get(pk=user.pk).has_perm("contracts.view_kpi")
    assert KpiResult.objects.filter(kpi__code="csat").get().kpi.name == "Customer satisfaction"


def test_a_content_type_already_made_for_the_new_label_gives_its_grants_and_goes(data):
    """A ``post_migrate`` run between the two migrations (both states knew the model) makes an
    empty ``contracts.kpi`` content type; the move keeps one, with every grant."""
    group, _ = data
    try:
        migrate(BEFORE_MOVE)
        made = ContentType.objects.create(app_label="contracts", model="kpi")
        granted = Permission.objects.create(content_type=made, codename="view_kpi", name="Can view KPI")
        newcomer = Group.objects.create(name="Newcomers")
        newcomer.permissions.add(granted)
    finally:
        migrate(latest())
    (kept,) = ContentType.objects.filter(model="kpi")
    assert kept.app_label == "contracts" and kept.pk != made.pk
    assert kpi_permission_labels("contracts", group) == {"add_kpi", "change_kpi", "delete_kpi", "view_kpi"}
    assert kpi_permission_labels("contracts", newcomer) == {"view_kpi"}
