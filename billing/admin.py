"""Procurement's admin for billing: runs with progress, statements with review aids and actions.

Statements are never edited by hand: they are priced from the terms and KPI inputs, and
change state only through the actions (approve, issue, void), which call the services.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from pricing.period import Period

from . import services, tasks
from .forms import RunBillingForm, VoidForm
from .models import BillingRun, Statement, StatementLine
from .selectors import live_statement


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "period",
        "contract_reference",
        "status",
        "progress",
        "failed",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "period"]
    readonly_fields = [
        "period",
        "contract_reference",
        "status",
        "total",
        "done",
        "failed",
        "error_list",
        "requested_by",
        "started_at",
        "finished_at",
    ]
    exclude = ["errors"]
    change_list_template = "admin/billing/billingrun/change_list.html"

    @admin.display(description="progress")
    def progress(self, run):
        return f"{run.done} / {run.total}"

    @admin.display(description="errors per contract")
    def error_list(self, run):
        return (
            format_html_join(mark_safe("<br>"), "<strong>{}</strong>: {}", sorted(run.errors.items())) or "—"
        )

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
            try:
                run = services.billing_run_create(
                    period=Period.parse(form.cleaned_data["period"]),
                    contract_reference=form.cleaned_data["contract"] or None,
                    requested_by=request.user,
                )
            except services.BillingError as error:
                form.add_error("contract", str(error))
            else:
                tasks.run_billing.delay(run.pk)
                where = "in this request" if settings.CELERY_TASK_ALWAYS_EAGER else "on the workers"
                messages.success(
                    request, f"Billing run for {run.period} started {where}; progress is shown below."
                )
                return redirect("admin:billing_billingrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Run billing for a period",
        }
        return render(request, "admin/billing/billingrun/run.html", context)


class StatementLineInline(ReadOnly, admin.TabularInline):
    model = StatementLine
    fields = ["position", "component_id", "kind", "kpi", "amount", "explanation"]
    readonly_fields = fields
    extra = 0


@admin.register(Statement)
class StatementAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "__str__",
        "contract",
        "period",
        "document_type",
        "status",
        "net",
        "gross",
        "currency",
        "flag_count",
    ]
    list_filter = ["status", "period", "document_type", "contract__buyer", "contract__supplier"]
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
        "net",
        "tax",
        "gross",
        "tax_rate",
        "issue_date",
        "due_date",
        "void_reason",
        "pdf",
    ]
    readonly_fields = fields
    change_form_template = "admin/billing/statement/change_form.html"

    @admin.display(description="flags")
    def flag_count(self, statement):
        return len(statement.flags) or ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        statement = self.get_object(request, object_id)
        extra = {}
        if statement is not None:
            previous = live_statement(
                contract_id=statement.contract_id, period=Period.parse(statement.period).previous()
            )
            extra = {"review": statement_review(statement, previous), "previous": previous}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _each(self, request, queryset, action, done):
        for statement in queryset.order_by("contract__reference", "pk"):
            try:
                action(statement_id=statement.pk)
            except services.BillingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, f"{statement.contract.reference} {statement.period}: {done}", messages.SUCCESS
                )

    @admin.action(description="Approve the selected drafts", permissions=["approve"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.statement_approve, "approved")

    @admin.action(description="Issue the selected approved statements", permissions=["approve"])
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
                lambda statement_id: services.statement_void(statement_id=statement_id, reason=reason),
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


def statement_review(statement, previous) -> dict:
    """Review aids: KPI inputs, flags, and each component this month against last month."""

    def by_component(document):
        totals = {}
        for line in document.lines.all() if document else []:
            totals[line.component_id] = totals.get(line.component_id, 0) + line.amount
        return totals

    now, before = by_component(statement), by_component(previous)
    comparison = [
        {
            "component": c,
            "previous": before.get(c),
            "current": now.get(c),
            "change": (now.get(c) or 0) - (before.get(c) or 0),
        }
        for c in list(dict.fromkeys([*now, *before]))
    ]
    return {
        "kpis": sorted(statement.inputs.get("kpis", {}).items()),
        "flags": statement.flags,
        "comparison": comparison,
        "terms": statement.inputs.get("terms", {}),
        "admin_url": reverse("admin:billing_statement_changelist"),
    }
