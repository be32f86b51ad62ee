"""Procurement's admin for billing: runs with progress, statements with review aids and actions.

Statements are never edited by hand: they are priced from the terms and KPI inputs, and
change state only through the actions (approve, issue, void), which call the services.
"""

import contextlib
import functools

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from knox.admin import AuthTokenAdmin as KnoxAuthTokenAdmin
from knox.models import AuthToken
from rest_framework.authtoken.models import TokenProxy

from contracts.models import Organisation
from contracts.selectors import contracts_active_in_period, kpi_catalogue
from contracts.tenancy import (
    EVERYTHING,
    BuyerScopedAdminMixin,
    buyer_scope,
    contracts_for_buyer_of,
    for_buyer_scope,
)
from core.admin_columns import money_column
from kpis.access import openable_batch_ids
from kpis.models import KpiBatch
from pricing.period import Period

from . import selectors, services, tasks
from .documents import component_title, component_titles
from .forms import RunBillingForm, VoidForm
from .journal_admin import journal_download_view
from .models import BillingRun, Statement, StatementLine
from .month_close_admin import month_close_view
from .selectors import live_statement, statement_events
from .simulation_admin import simulation_view
from .statement_actions import StatementObjectActionsMixin
from .value_admin import contract_value_view, portfolio_view


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingRun)
class BillingRunAdmin(BuyerScopedAdminMixin, ReadOnly, admin.ModelAdmin):
    """A procurement user sees the runs of one of its buyer's contracts; a run of every
    contract spans buyers and is a superuser's only."""

    list_display = [
        "period",
        "contract_reference",
        "state",
        "progress",
        "failed",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "period"]
    readonly_fields = [
        "period",
        "contract_reference",
        "buyer",
        "state",
        "total",
        "done",
        "failed",
        "error_list",
        "requested_by",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]
    exclude = ["errors", "status"]
    change_list_template = "admin/billing/billingrun/change_list.html"

    def scope_queryset(self, request, queryset):
        references = contracts_for_buyer_of(request.user).values("reference")
        return for_buyer_scope(
            request.user,
            queryset,
            lambda runs, buyer_id: runs.filter(Q(buyer_id=buyer_id) | Q(contract_reference__in=references)),
        )

    @admin.display(description="status", ordering="status")
    def state(self, run):
        if run.is_stale:
            return f"Dead (no heartbeat): resume with manage.py run_billing --resume {run.pk}"
        return run.get_status_display()

    @admin.display(description="progress")
    def progress(self, run):
        return f"{run.done} / {run.total}"

    @admin.display(description="errors per contract")
    def error_list(self, run):
        return format_html_join(mark_safe("<br>"), "<strong>{}</strong>: {}", run.error_list) or "—"

    def get_urls(self):
        return [
            path("run/", self.admin_site.admin_view(self.run_view), name="billing_billingrun_run"),
            *super().get_urls(),
        ]

    def run_view(self, request):
        if not request.user.has_perm("billing.add_billingrun"):
            return redirect("admin:billing_billingrun_changelist")
        form = RunBillingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period = Period.parse(form.cleaned_data["period"])
            reference = form.cleaned_data["contract"] or None
            try:
                runs = billing_runs_for_user(request.user, period=period, contract_reference=reference)
            except services.BillingError as error:
                form.add_error("contract", str(error))
            else:
                for run in runs:
                    self.log_addition(request, run, f"Started billing run for {period}")
                    tasks.run_billing.delay(run.pk)
                where = "in this request" if settings.CELERY_TASK_ALWAYS_EAGER else "on the workers"
                if settings.CELERY_TASK_ALWAYS_EAGER:  # priced already: say which drafts wait
                    _warn_waiting_runs(request, runs)
                if len(runs) == 1:
                    messages.success(
                        request, f"Billing run for {period} started {where}; progress is shown below."
                    )
                    return redirect("admin:billing_billingrun_change", runs[0].pk)
                messages.success(request, f"{len(runs)} billing runs for {period} started {where}.")
                return redirect("admin:billing_billingrun_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Run billing for a period",
        }
        return render(request, "admin/billing/billingrun/run.html", context)


def _warn_waiting_runs(request, runs) -> None:
    """An admin warning naming the drafts of ``runs`` that wait for an earlier month's issue."""
    statements = Statement.objects.filter(billing_run__in=runs).select_related("contract")
    waiting = selectors.statements_waiting(statements=statements.order_by("contract__reference"))
    if waiting:
        shown = "; ".join(waiting[:5]) + (f"; and {len(waiting) - 5} more" if len(waiting) > 5 else "")
        messages.warning(request, f"{len(waiting)} draft(s) wait for an earlier month's issue: {shown}")


def billing_runs_for_user(user, *, period: Period, contract_reference: str | None) -> list:
    """Start the run ``user`` may start for ``period``: a superuser's over every active
    contract (or one); a procurement user's over its buyer's contracts only (or one of them),
    so no other buyer's contract is priced. Raises ``BillingError`` for a reference the user
    does not see (worded as an unknown one, so another buyer's references are not revealed) or
    when its buyer has no contract active in the period."""
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return [
            services.billing_run_create(
                period=period, contract_reference=contract_reference, requested_by=user
            )
        ]
    if scope is None:
        raise services.BillingError("you do not act for a buyer")
    mine = contracts_active_in_period(period=period).filter(buyer_id=scope)
    if not contract_reference and not mine.exists():
        raise services.BillingError(f"none of your contracts is active in {period}")
    return [
        services.billing_run_create(
            period=period, contract_reference=contract_reference, buyer_id=scope, requested_by=user
        )
    ]


class BuyerFilter(admin.SimpleListFilter):
    """Statements by buyer, listing only the buyers of the contracts the user sees: a
    procurement user's own buyer, a superuser's every buyer, never a supplier. A value that is
    not an organisation's id matches nothing."""

    title = "buyer"
    parameter_name = "buyer"

    def lookups(self, request, model_admin):
        buyer_ids = contracts_for_buyer_of(request.user).values("buyer_id")
        return [(str(o.pk), o.name) for o in Organisation.objects.filter(pk__in=buyer_ids).order_by("name")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            return queryset.none()
        return queryset.filter(contract__buyer_id=int(value))


class StatementLineInline(ReadOnly, admin.TabularInline):
    model = StatementLine
    fields = ["position", "component_shown", "kind", "kpi", "amount_shown", "explanation"]
    readonly_fields = fields
    extra = 0

    amount_shown = money_column("amount", currency=lambda line: line.statement.currency)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin makes its inlines afresh for each request: the titles are read once a page.
        self.titles: dict[int, dict[str, str]] = {}

    @admin.display(description="component")
    def component_shown(self, line):
        """The component's title in the statement's terms version, its id in small print
        (``billing.documents.component_title``, as the portal and the PDF show it)."""
        version_id = line.statement.terms_version_id
        if version_id not in self.titles:
            self.titles |= component_titles([version_id])
        title = component_title(line.component_id, self.titles[version_id].get(line.component_id))
        return format_html('{}<div class="help">{}</div>', title, line.component_id)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement")


@admin.register(Statement)
class StatementAdmin(StatementObjectActionsMixin, BuyerScopedAdminMixin, ReadOnly, admin.ModelAdmin):
    buyer_path = "contract__buyer_id"
    list_display = [
        "__str__",
        "contract_reference",
        "period",
        "document_type",
        "status",
        "net_shown",
        "gross_shown",
        "flag_codes",
    ]
    list_filter = [
        "status",
        "period",
        "document_type",
        BuyerFilter,
        ("contract__supplier", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["number", "contract__reference", "contract__title"]
    list_select_related = ["contract"]
    inlines = [StatementLineInline]
    actions = ["approve", "issue", "void"]
    fields = [
        "contract",
        "period",
        "revision",
        "status",
        "document_type",
        "adjusts",
        "number",
        "currency",
        "net_shown",
        "tax_shown",
        "gross_shown",
        "tax_rate",
        "issue_date",
        "due_date",
        "void_reason",
        "pdf",
        "approved_by",
        "approved_at",
        "issued_by",
        "issued_at",
        "voided_by",
        "voided_at",
        "paid_by",
        "paid_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/billing/statement/change_form.html"

    net_shown = money_column("net")
    tax_shown = money_column("tax")
    gross_shown = money_column("gross")

    @admin.display(description="contract", ordering="contract__reference")
    def contract_reference(self, statement):
        """The reference only: the title is on the contract's page, and would cut the table off."""
        return statement.contract.reference

    @admin.display(description="flags")
    def flag_codes(self, statement):
        """The flags' codes, short enough for a column (their messages are on the statement)."""
        return ", ".join(str(flag.get("code", "")) for flag in statement.flags if isinstance(flag, dict))

    def get_urls(self):
        """The month-close page (``billing.month_close_admin``), procurement's landing page, its
        journal download (``billing.journal_admin``), a contract's "Simulate terms" page
        (``billing.simulation_admin``), its value page and the buyer's portfolio
        (``billing.value_admin``)."""
        view = self.admin_site.admin_view(functools.partial(month_close_view, self))
        journal = self.admin_site.admin_view(functools.partial(journal_download_view, self))
        simulate = self.admin_site.admin_view(functools.partial(simulation_view, self))
        value = self.admin_site.admin_view(functools.partial(contract_value_view, self))
        portfolio = self.admin_site.admin_view(functools.partial(portfolio_view, self))
        return [
            path("month-close/", view, name="billing_statement_month_close"),
            path("month-close/journal/", journal, name="billing_statement_journal"),
            path("simulate/<int:contract_pk>/", simulate, name="billing_statement_simulate"),
            path("value/<int:contract_id>/", value, name="billing_statement_contract_value"),
            path("portfolio/", portfolio, name="billing_statement_portfolio"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        statement = self.get_object(request, object_id)
        extra = {}
        if statement is not None:
            # An adjustment is read against the document it corrects, not last month's.
            previous = (
                None
                if statement.adjusts_id
                else live_statement(
                    contract_id=statement.contract_id, period=Period.parse(statement.period).previous()
                )
            )
            extra = {
                "review": statement_review(statement, previous, user=request.user),
                "previous": previous,
                "events": statement_events(statement=statement),
                **query_admin.statement_query_admin_context(statement),
                **self.object_actions_context(request, statement),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _each(self, request, queryset, action, done):
        """Run ``action`` on each selected statement as ``request.user``; each success is also
        written to Django's admin log (the statement's own events record it too)."""
        for statement in queryset.order_by("contract__reference", "pk"):
            try:
                changed = action(statement_id=statement.pk, user=request.user)
            except services.BillingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.log_change(request, changed, f"{done.capitalize()} (admin action)")
                self.message_user(
                    request, f"{statement.contract.reference} {statement.period}: {done}", messages.SUCCESS
                )

    @admin.action(description="Approve the selected drafts", permissions=["approve_statement"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.statement_approve, "approved")

    @admin.action(description="Issue the selected approved statements", permissions=["issue_statement"])
    def issue(self, request, queryset):
        self._each(request, queryset, services.statement_issue, "issued")

    @admin.action(description="Void the selected issued statements…", permissions=["approve"])
    def void(self, request, queryset):
        form = VoidForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(
                request,
                queryset,
                lambda statement_id, user: services.statement_void(
                    statement_id=statement_id, reason=reason, user=user
                ),
                "void",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "statements": queryset,
            "title": "Void statements",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/billing/statement/void.html", context)

    def has_approve_permission(self, request):
        return request.user.has_perm("billing.change_statement")

    def has_approve_statement_permission(self, request):
        return request.user.has_perm("billing.approve_statement")

    def has_issue_statement_permission(self, request):
        return request.user.has_perm("billing.issue_statement")


def statement_review(statement, previous, *, user) -> dict:
    """Review aids: KPI inputs with who submitted them, flags, and each component this month
    against last month. A batch is linked only where ``user`` may open it (a file that also
    holds another buyer's rows is not)."""

    def by_component(document):
        totals = {}
        for line in document.lines.all() if document else []:
            totals[line.component_id] = totals.get(line.component_id, 0) + line.amount
        return totals

    now, before = by_component(statement), by_component(previous)
    # A component is called by this month's terms, or last month's when this month has dropped it.
    titles = component_titles(
        [statement.terms_version_id, *([previous.terms_version_id] if previous else [])]
    )
    current, earlier = (
        titles[statement.terms_version_id],
        titles[previous.terms_version_id] if previous else {},
    )
    comparison = [
        {
            "component": c,
            "title": component_title(c, current.get(c) or earlier.get(c)),
            "previous": before.get(c),
            "current": now.get(c),
            "change": (now.get(c) or 0) - (before.get(c) or 0),
        }
        for c in list(dict.fromkeys([*now, *before]))
    ]
    units = {code: info.unit for code, info in kpi_catalogue().items()}
    kpis = sorted(
        (code, {**kpi, "unit": units.get(code, "")}) for code, kpi in statement.inputs.get("kpis", {}).items()
    )
    batch_ids = {batch_id for _, kpi in kpis for batch_id in kpi.get("batch_ids", ())}
    batches = KpiBatch.objects.select_related("uploaded_by", "organisation").in_bulk(batch_ids)
    return {
        "openable_batches": openable_batch_ids(user, batch_ids),
        "kpis": [
            (code, kpi, [batches[b] for b in kpi.get("batch_ids", ()) if b in batches]) for code, kpi in kpis
        ],
        "flags": statement.flags,
        "comparison": comparison,
        "terms": statement.inputs.get("terms", {}),
        "admin_url": reverse("admin:billing_statement_changelist"),
    }


# --- API tokens -----------------------------------------------------------------------------
# A token acts as its user, so only superusers see or manage tokens. Knox keeps a digest of
# each token, never the token itself: the token is shown once, when it is created (here, or
# by ``manage.py create_api_token``). DRF's clear-text tokens are not used and get no admin.
for _model in (TokenProxy, AuthToken):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(_model)


@admin.register(AuthToken)
class ApiTokenAdmin(KnoxAuthTokenAdmin):
    list_display = ["user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "created", "expiry"]

    def get_fields(self, request, obj=None):
        return ["user", "expiry"] if obj is None else ["user", "created", "expiry"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return False  # a token is replaced, not edited

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)


# The queue of suppliers' queries registers itself (``billing.query_admin``).
from . import query_admin  # noqa: E402
