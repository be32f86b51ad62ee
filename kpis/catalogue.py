"""The contact-centre KPI catalogue: code, name, unit, direction, aggregation, scale, bounds.

Seeded into the ``Kpi`` table by a data migration; kept here as plain data so that the
migration, the docs and the tests read one list.
"""

from typing import NamedTuple


class KpiSpec(NamedTuple):
    code: str
    name: str
    unit: str  # count | money | percent | seconds | score
    direction: str  # higher_is_better | lower_is_better
    aggregation: str  # sum | ratio
    scale: int = 1
    min_value: str | None = None
    max_value: str | None = None
    description: str = ""


# The party whose figures count for a KPI by default (a contract file's ``kpi_sources`` may name
# the other): the buyer runs the surveys and holds the revenue, cost and complaint records; the
# supplier measures its own operation.
BUYER_KPIS = frozenset(
    {
        "csat",
        "nps",
        "ces",
        "cost_to_serve",
        "retention_revenue",
        "upsell_revenue",
        "saves_reversed",
        "complaints",
    }
)


def default_source(code: str) -> str:
    """``buyer`` or ``supplier``: who supplies ``code`` unless a contract says otherwise."""
    return "buyer" if code in BUYER_KPIS else "supplier"


HIGHER, LOWER = "higher_is_better", "lower_is_better"

# The incentive-alignment check (``billing.alignment``) moves each KPI one step in the direction
# better for the *buyer*. For most KPIs that is the catalogue's direction. Contact volumes are
# the exception: the catalogue's direction is the operation's (more handled is more work done),
# but for the buyer every contact avoided is demand removed, so for it fewer is better.
CONTACT_CHANNELS = (
    "contacts_voice",
    "contacts_chat",
    "contacts_email",
    "contacts_messaging",
    "contacts_social",
)
CONTACT_VOLUMES = frozenset({*CONTACT_CHANNELS, "contacts_total"})
# A contract's total is the sum of its channels unless its kpi_checks say what it sums.
CONTACT_PARTS = {"contacts_total": CONTACT_CHANNELS}
# The KPIs whose improvement removes contacts or their cost: what rewards fewer contacts.
DEMAND_REDUCING_KPIS = frozenset({"fcr", "repeat_contact_rate", "cost_to_serve"})

CATALOGUE: tuple[KpiSpec, ...] = (
    KpiSpec("contacts_voice", "Voice contacts handled", "count", HIGHER, "sum", min_value="0"),
    KpiSpec("contacts_chat", "Chat contacts handled", "count", HIGHER, "sum", min_value="0"),
    KpiSpec("contacts_email", "Email contacts handled", "count", HIGHER, "sum", min_value="0"),
    KpiSpec("contacts_messaging", "Messaging contacts handled", "count", HIGHER, "sum", min_value="0"),
    KpiSpec("contacts_social", "Social media contacts handled", "count", HIGHER, "sum", min_value="0"),
    KpiSpec("contacts_total", "All contacts handled", "count", HIGHER, "sum", min_value="0"),
    KpiSpec(
        "cost_to_serve",
        "Cost to serve",
        "money",
        LOWER,
        "sum",
        min_value="0",
        description="The month's actual cost of the service, in the contract currency.",
    ),
    KpiSpec("retention_revenue", "Retention revenue", "money", HIGHER, "sum", min_value="0"),
    KpiSpec("upsell_revenue", "Upsell revenue", "money", HIGHER, "sum", min_value="0"),
    KpiSpec("customers_retained", "Customers retained (saves)", "count", HIGHER, "sum", min_value="0"),
    KpiSpec("saves_reversed", "Saves reversed within the window", "count", LOWER, "sum", min_value="0"),
    KpiSpec("sales_closed", "Sales closed", "count", HIGHER, "sum", min_value="0"),
    KpiSpec(
        "service_level",
        "Service level (answered within threshold)",
        "percent",
        HIGHER,
        "ratio",
        100,
        "0",
        "100",
        "Contacts answered within the threshold / contacts offered × 100.",
    ),
    KpiSpec(
        "asa_seconds",
        "Average speed of answer",
        "seconds",
        LOWER,
        "ratio",
        1,
        "0",
        None,
        "Total wait time of answered contacts / answered contacts.",
    ),
    KpiSpec(
        "aht_seconds",
        "Average handling time",
        "seconds",
        LOWER,
        "ratio",
        1,
        "0",
        None,
        "Talk + hold + wrap time / handled contacts.",
    ),
    KpiSpec(
        "abandon_rate",
        "Abandonment rate",
        "percent",
        LOWER,
        "ratio",
        100,
        "0",
        "100",
        "Abandoned contacts / offered contacts × 100.",
    ),
    KpiSpec(
        "fcr",
        "First-contact resolution",
        "percent",
        HIGHER,
        "ratio",
        100,
        "0",
        "100",
        "Contacts resolved at first contact / contacts × 100.",
    ),
    KpiSpec("repeat_contact_rate", "Repeat contact rate", "percent", LOWER, "ratio", 100, "0", "100"),
    KpiSpec(
        "csat",
        "Customer satisfaction",
        "percent",
        HIGHER,
        "ratio",
        100,
        "0",
        "100",
        "Satisfied responses / survey responses × 100.",
    ),
    KpiSpec(
        "nps",
        "Net Promoter Score",
        "score",
        HIGHER,
        "ratio",
        100,
        "-100",
        "100",
        "(Promoters − detractors) / responses × 100.",
    ),
    KpiSpec(
        "ces",
        "Customer effort score",
        "score",
        LOWER,
        "ratio",
        1,
        "1",
        "7",
        "Sum of effort ratings (1 = very easy … 7 = very hard) / responses.",
    ),
    KpiSpec("quality_score", "Quality assurance score", "percent", HIGHER, "ratio", 100, "0", "100"),
    KpiSpec("attrition_rate", "Agent attrition rate", "percent", LOWER, "ratio", 100, "0", "100"),
    KpiSpec("complaints", "Complaints received", "count", LOWER, "sum", min_value="0"),
)


def seed(kpi_model) -> None:
    """Create or update every catalogue entry through ``kpi_model`` (a migration's historical
    model, which may not have every field yet, or the real one)."""
    fields = {field.name for field in kpi_model._meta.get_fields()}
    for spec in CATALOGUE:
        defaults = {
            "name": spec.name,
            "description": spec.description,
            "unit": spec.unit,
            "direction": spec.direction,
            "aggregation": spec.aggregation,
            "scale": spec.scale,
            "min_value": spec.min_value,
            "max_value": spec.max_value,
            "source": default_source(spec.code),
        }
        kpi_model.objects.update_or_create(
            code=spec.code, defaults={name: value for name, value in defaults.items() if name in fields}
        )
