"""A priced KPI month broken down by channel, site and file: only the rows of the batches the
statement names, superseded keys left out, each group aggregated as the month is, and the same
groups whether PostgreSQL groups the rows or they are streamed and added here."""

from decimal import Decimal

import pytest

from contracts.models import Kpi
from kpis.breakdown import breakdown_sums, kpi_breakdown
from kpis.selectors import kpi_month_values
from pricing.period import Period

from .test_selectors import batch, contracts  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(contracts):  # noqa: F811
    """March of contract A: voice contacts in two sites (Cardiff restated by a second file), a
    chat figure, service level by channel and site, and rows of another contract and of a later
    file that the priced month did not use."""
    a, b, _ = contracts
    first = batch(
        "first.csv",
        [
            (a, "2026-03", "contacts_voice", 1, "1000", None, None, "voice", "leeds"),
            (a, "2026-03", "contacts_voice", 2, "1200.5", None, None, "voice", "leeds"),
            (a, "2026-03", "contacts_voice", 1, "700", None, None, "voice", "cardiff"),
            (a, "2026-03", "contacts_voice", 2, "800", None, None, "voice", "cardiff"),
            (a, "2026-03", "contacts_voice", None, "5", None, None, "", ""),
            (a, "2026-03", "service_level", 1, None, "80", "100", "voice", "leeds"),
            (a, "2026-03", "service_level", 1, None, "50", "100", "voice", "cardiff"),
            (a, "2026-03", "service_level", 1, None, "45", "50", "chat", "leeds"),
            (b, "2026-03", "contacts_voice", 1, "99999", None, None, "voice", "leeds"),
        ],
    )
    restated = batch(
        "cardiff-fix.csv", [(a, "2026-03", "contacts_voice", None, "1600", None, None, "voice", "cardiff")]
    )
    priced = kpi_month_values(contract_id=a.pk, period=Period(2026, 3))
    later = batch("later.csv", [(a, "2026-03", "contacts_voice", None, "1", None, None, "voice", "leeds")])
    return {"contract": a, "priced": priced, "first": first, "restated": restated, "later": later}


def breakdown(month, code: str, dimension: str, **kwargs):
    return kpi_breakdown(
        contract_id=month["contract"].pk,
        period="2026-03",
        kpi=Kpi.objects.get(code=code),
        batch_ids=list(month["priced"][code].batch_ids),
        dimension=dimension,
        **kwargs,
    )


def test_a_sum_kpis_sites_add_up_to_the_priced_value_from_the_priced_batches_only(month):
    by_site = breakdown(month, "contacts_voice", "site")
    values = {group.key: group.month.value for group in by_site.groups}
    # Leeds as first given (the later file is not the priced month's), Cardiff as restated.
    assert values == {"": Decimal("5"), "cardiff": Decimal("1600"), "leeds": Decimal("2200.5")}
    assert sum(values.values()) == month["priced"]["contacts_voice"].value == Decimal("3805.5")
    assert [group.month.row_count for group in by_site.groups] == [1, 1, 2]
    assert (by_site.group_count, by_site.truncated) == (3, False)


def test_the_breakdown_by_file_names_the_rows_each_priced_batch_gave(month):
    by_batch = breakdown(month, "contacts_voice", "batch_id")
    rows = {group.key: group.month.row_count for group in by_batch.groups}
    assert rows == {month["first"].pk: 3, month["restated"].pk: 1}  # Cardiff's two days superseded
    assert month["later"].pk not in rows


def test_a_ratio_kpis_channels_are_the_ratio_of_their_own_rows(month):
    by_channel = breakdown(month, "service_level", "channel")
    assert [(g.key, g.month.value, g.month.numerator, g.month.denominator) for g in by_channel.groups] == [
        ("chat", Decimal("90"), Decimal("45"), Decimal("50")),
        ("voice", Decimal("65"), Decimal("130"), Decimal("200")),
    ]
    # The month is the ratio of all rows (175 / 250), not the average of the channels' ratios.
    assert month["priced"]["service_level"].value == Decimal("70")


def test_groups_past_the_limit_are_counted_not_listed(month):
    by_site = breakdown(month, "contacts_voice", "site", limit=2)
    assert [group.key for group in by_site.groups] == ["", "cardiff"]
    assert (by_site.group_count, by_site.truncated) == (3, True)


def test_no_batches_no_groups_and_a_dimension_outside_the_list_is_refused(month):
    kpi = Kpi.objects.get(code="contacts_voice")
    empty = kpi_breakdown(
        contract_id=month["contract"].pk, period="2026-03", kpi=kpi, batch_ids=[], dimension="site"
    )
    assert (empty.groups, empty.group_count) == ((), 0)
    with pytest.raises(ValueError, match="cannot group"):
        breakdown(month, "contacts_voice", "value; DROP TABLE kpis_kpiresult")
    with pytest.raises(ValueError, match="at most"):
        kpi_breakdown(
            contract_id=month["contract"].pk,
            period="2026-03",
            kpi=kpi,
            batch_ids=list(range(1001)),
            dimension="site",
        )


@pytest.mark.postgres
@pytest.mark.database_path("kpis.breakdown_sums")
@pytest.mark.parametrize("dimension", ["channel", "site", "batch_id"])
@pytest.mark.parametrize("limit", [1, 50])
def test_postgresql_groups_agree_with_the_streamed_groups(month, dimension, limit):
    for code in ("contacts_voice", "service_level"):
        args = (month["contract"].pk, "2026-03", Kpi.objects.get(code=code).pk)
        ids = sorted(month["priced"][code].batch_ids)
        in_database = breakdown_sums.postgresql(*args, ids, dimension, limit)
        streamed = breakdown_sums.portable(*args, ids, dimension, limit)
        assert in_database == streamed, (code, dimension)
        assert in_database[1] >= len(in_database[0]) > 0
