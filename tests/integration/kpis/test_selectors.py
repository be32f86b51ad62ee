"""Month values read in bulk: the same numbers whether PostgreSQL adds the rows up in the query
or they are added up here (SQLite), with supersession by later batches and exact sums."""

import random
from datetime import date
from decimal import Decimal

import pytest

from contracts.models import Contract, Kpi, Organisation
from kpis.models import KpiBatch, KpiResult
from kpis.selectors import KpiMonthValue, kpi_month_values, kpi_month_values_for_periods, month_sums
from pricing.period import Period

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = Period(2026, 1), Period(2026, 2), Period(2026, 3)


@pytest.fixture
def contracts():
    buyer = Organisation.objects.create(name="Acme Telecom plc", code="ACME", country="GB")
    supplier = Organisation.objects.create(name="Northwind CX Ltd", code="NORTHWIND", country="GB")
    return [
        Contract.objects.create(
            reference=f"ACME-SEL-{n}",
            title="Care",
            buyer=buyer,
            supplier=supplier,
            tax_rate=20,
            start_date=date(2026, 1, 1),
        )
        for n in range(3)
    ]


def batch(name: str, rows: list[tuple]) -> KpiBatch:
    """Store ``rows`` of (contract, period, kpi, day, value, numerator, denominator, channel, site)
    as one batch, the way ingestion leaves them."""
    stored = KpiBatch.objects.create(file_name=name, checksum=name.ljust(64, "0"), source="cli")
    kpis = dict(Kpi.objects.values_list("code", "pk"))
    number = lambda text: None if text is None else Decimal(text)  # noqa: E731
    KpiResult.objects.bulk_create(
        KpiResult(
            batch=stored,
            contract=contract,
            period=period,
            kpi_id=kpis[code],
            date=None if day is None else date(int(period[:4]), int(period[5:]), day),
            value=number(value),
            numerator=number(numerator),
            denominator=number(denominator),
            channel=channel,
            site=site,
            source_row=row,
        )
        for row, (contract, period, code, day, value, numerator, denominator, channel, site) in enumerate(
            rows, start=2
        )
    )
    return stored


@pytest.fixture
def months(contracts):
    a, b, _ = contracts
    first = batch(
        "first.csv",
        [
            # Service level by day, channel and site; Cardiff's voice days are corrected below.
            (a, "2026-03", "service_level", 1, None, "80", "100", "voice", "leeds"),
            (a, "2026-03", "service_level", 2, None, "90", "100", "voice", "leeds"),
            (a, "2026-03", "service_level", 1, None, "50", "100", "voice", "cardiff"),
            (a, "2026-03", "service_level", 2, None, "60", "100", "voice", "cardiff"),
            (a, "2026-03", "service_level", 1, None, "45", "50", "chat", "leeds"),
            (a, "2026-03", "contacts_voice", 1, "1000", None, None, "voice", "leeds"),
            (a, "2026-03", "contacts_voice", 2, "1200.5", None, None, "voice", "leeds"),
            (a, "2026-03", "contacts_voice", 1, "700", None, None, "voice", "cardiff"),
            # Sums past Decimal's default 28 digits stay exact.
            (a, "2026-03", "cost_to_serve", None, "12345678901234567890.123456789", None, None, "", "a"),
            (a, "2026-03", "cost_to_serve", None, "98765432109876543210.987654321", None, None, "", "b"),
            (a, "2026-03", "cost_to_serve", None, "0.000000000000000000001", None, None, "", "c"),
            (a, "2026-03", "csat", None, "86.5", None, None, "", ""),
            (a, "2026-03", "nps", None, "40", None, None, "", ""),
            (a, "2026-03", "nps", 1, None, "10", "20", "voice", ""),
            (a, "2026-03", "abandon_rate", 1, None, "0", "0.0", "voice", ""),
            (a, "2026-03", "abandon_rate", 2, None, "0", "0", "voice", ""),
            (a, "2026-03", "fcr", None, None, "40", "50", "", ""),
            (a, "2026-02", "contacts_voice", None, "500", None, None, "", ""),
        ],
    )
    second = batch(
        "second.csv",
        [
            (a, "2026-03", "service_level", 1, None, "70", "100", "voice", "cardiff"),
            (a, "2026-03", "contacts_voice", 1, "650.25", None, None, "voice", "cardiff"),
            (a, "2026-03", "fcr", None, None, "45", "50", "", ""),
            (b, "2026-03", "service_level", None, None, "1", "3", "", ""),
        ],
    )
    return first.pk, second.pk


def test_month_values_supersede_by_key_add_ratios_of_sums_and_stay_exact(contracts, months):
    a, b, c = contracts
    first, second = months
    values = kpi_month_values_for_periods(contract_ids=[a.pk, b.pk, c.pk], periods=[MAR, FEB, JAN])
    assert values[MAR][a.pk] == {
        # Leeds voice 80+90, Cardiff voice only the correction's 70, chat 45: 285/350, not a mean of ratios.
        "service_level": KpiMonthValue(
            "service_level", Decimal("81.4285714286"), Decimal(285), Decimal(350), 4, (first, second)
        ),
        "contacts_voice": KpiMonthValue("contacts_voice", Decimal("2850.75"), None, None, 3, (first, second)),
        "cost_to_serve": KpiMonthValue(
            "cost_to_serve", Decimal("111111111011111111101.111111110000000000001"), None, None, 3, (first,)
        ),
        "csat": KpiMonthValue("csat", Decimal("86.5"), None, None, 1, (first,)),
        # A monthly value mixed with daily ratio rows cannot be added up: not measured.
        "nps": KpiMonthValue("nps", None, None, None, 2, (first,)),
        "abandon_rate": KpiMonthValue("abandon_rate", None, Decimal(0), Decimal(0), 2, (first,)),
        "fcr": KpiMonthValue("fcr", Decimal("90.0000000000"), Decimal(45), Decimal(50), 1, (second,)),
    }
    assert values[MAR][b.pk] == {
        "service_level": KpiMonthValue(
            "service_level", Decimal("33.3333333333"), Decimal(1), Decimal(3), 1, (second,)
        )
    }
    assert values[FEB] == {
        a.pk: {"contacts_voice": KpiMonthValue("contacts_voice", Decimal(500), None, None, 1, (first,))},
        b.pk: {},
        c.pk: {},
    }
    assert values[MAR][c.pk] == values[JAN][a.pk] == {}
    # Exact decimals keep the scale the snapshot prints.
    month = values[MAR][a.pk]
    assert str(month["cost_to_serve"].value) == "111111111011111111101.111111110000000000001"
    assert (str(month["contacts_voice"].value), str(month["abandon_rate"].denominator)) == ("2850.75", "0.0")
    assert kpi_month_values(contract_id=a.pk, period=MAR) == values[MAR][a.pk]


def as_text(sums_rows) -> dict:
    """Sums keyed by (contract, period, KPI), decimals as text so that a scale difference shows."""
    return {
        (contract_id, period, kpi_id): tuple(str(x) if isinstance(x, Decimal) else x for x in sums)
        for contract_id, period, kpi_id, sums in sums_rows
    }


@pytest.mark.postgres
@pytest.mark.database_path("kpis.month_sums")
def test_postgresql_sums_agree_with_the_python_sums(contracts, months):
    ids, periods = [c.pk for c in contracts], ["2026-03", "2026-02"]
    in_database, from_rows = month_sums.postgresql(ids, periods), month_sums.portable(ids, periods)
    assert as_text(in_database) == as_text(from_rows)
    assert in_database == from_rows  # the same months in the same order


@pytest.mark.postgres
def test_postgresql_sums_agree_on_generated_multi_site_multi_day_months_with_corrections(contracts):
    rng = random.Random(20260301)

    def number() -> str:
        return str(Decimal(rng.randint(0, 10**9)).scaleb(-rng.randint(0, 6)))

    keys = [
        (contract, period, code, channel, site)
        for contract in contracts
        for period in ("2026-02", "2026-03")
        for code in ("contacts_voice", "cost_to_serve", "service_level", "aht_seconds", "csat")
        for channel in ("voice", "chat")
        for site in ("leeds", "cardiff", "")
    ]
    for n in range(3):  # each later batch corrects a random third of the keys
        rows = []
        for contract, period, code, channel, site in keys if n == 0 else rng.sample(keys, len(keys) // 3):
            for day in range(1, rng.randint(1, 8)):
                if code.startswith(("contacts", "cost")):
                    rows.append((contract, period, code, day, number(), None, None, channel, site))
                else:
                    rows.append((contract, period, code, day, None, number(), number(), channel, site))
        batch(f"generated-{n}.csv", rows)
    ids, periods = [c.pk for c in contracts], ["2026-02", "2026-03"]
    in_database = as_text(month_sums.postgresql(ids, periods))
    assert in_database == as_text(month_sums.portable(ids, periods))
    assert len(in_database) == 3 * 2 * 5


def held_batch_counts_for_nothing(contracts, sums, status: str) -> None:
    first = batch(
        "first.csv", [(contracts[0], "2026-03", "contacts_voice", None, "1500", None, None, "", "")]
    )
    held = batch("held.csv", [(contracts[0], "2026-03", "contacts_voice", None, "1400", None, None, "", "")])
    KpiBatch.objects.filter(pk=held.pk).update(status=status)
    assert [(s.value_sum, s.batch_ids) for *_, s in sums([contracts[0].pk], ["2026-03"])] == [
        (Decimal("1500"), (first.pk,))
    ]
    KpiBatch.objects.filter(pk=held.pk).update(status="accepted")
    assert [(s.value_sum, s.batch_ids) for *_, s in sums([contracts[0].pk], ["2026-03"])] == [
        (Decimal("1400"), (held.pk,))
    ]


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_batch_pending_review_or_rejected_counts_for_nothing(contracts, status):
    held_batch_counts_for_nothing(contracts, month_sums.portable, status)


@pytest.mark.postgres
@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_batch_pending_review_or_rejected_counts_for_nothing_in_the_query(contracts, status):
    held_batch_counts_for_nothing(contracts, month_sums.postgresql, status)
