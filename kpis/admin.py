"""Procurement's admin for KPIs: batches, results, uploads and the month view (the catalogue's
admin is in :mod:`contracts.admin`, beside its model)."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

# KPI data is never edited or deleted by hand: corrections are new batches.
from contracts.admin import ReadOnlyAdmin
from contracts.tenancy import BuyerScopedAdminMixin, contracts_for_buyer_of
from core.admin_columns import kpi_with_exact
from core.uploads import upload_refusal
from pricing.period import Period

from .access import (
    NotActingForAnyone,
    batches_for_buyer_of,
    kpi_submittable_contract_ids,
    openable_batch_ids,
)
from .forms import KpiFileForm, KpiReviewForm, MonthRowsForm, MonthViewForm
from .models import KpiBatch, KpiResult
from .overview import contract_result_periods, kpi_month_overview
from .review import ReviewRefused, kpi_batch_accept, kpi_batch_reject
from .selectors import kpi_current_batches, kpi_month_rows, marked_rows
from .services import kpi_batch_ingest

ROWS_PER_PAGE = 100


@admin.register(KpiBatch)
class KpiBatchAdmin(BuyerScopedAdminMixin, ReadOnlyAdmin):
    """A procurement user sees the batches whose every result is of its buyer's contracts: a
    batch that also holds another buyer's rows would show that buyer's references."""

    list_display = [
        "id",
        "file_name",
        "status",
        "submitted_by",
        "uploaded_at",
        "row_count",
        "contract_list",
        "period_list",
    ]
    list_filter = ["status", "party", "source", "uploaded_at"]
    list_select_related = ["organisation", "uploaded_by"]
    search_fields = ["file_name", "checksum"]
    change_list_template = "admin/kpis/kpibatch/change_list.html"
    change_form_template = "admin/kpis/kpibatch/change_form.html"
    readonly_fields = ["contract_list", "period_list"]
    fields = [
        "file_name",
        "checksum",
        "source",
        "party",
        "organisation",
        "uploaded_by",
        "uploaded_at",
        "row_count",
        "contract_list",
        "period_list",
        "status",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    ]

    def scope_queryset(self, request, queryset):
        return batches_for_buyer_of(request.user, queryset)

    @admin.display(description="submitted by", ordering="party")
    def submitted_by(self, batch):
        """Party, organisation and user in one column: three narrow ones cut the list off."""
        who = " ".join(
            part for part in (batch.get_party_display(), getattr(batch.organisation, "name", "")) if part
        )
        return f"{who} ({batch.uploaded_by.username})" if batch.uploaded_by else who

    @admin.display(description="contracts")
    def contract_list(self, batch):
        return ", ".join(batch.contracts)

    @admin.display(description="periods")
    def period_list(self, batch):
        return ", ".join(batch.periods)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm("kpis.add_kpibatch")

    def get_urls(self):
        extra = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="kpis_kpibatch_upload"),
            path("month/", self.admin_site.admin_view(self.month_view), name="kpis_month"),
            path("month/rows/", self.admin_site.admin_view(self.month_rows_view), name="kpis_month_rows"),
            path(
                "<int:batch_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="kpis_kpibatch_review",
            ),
        ]
        return extra + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        extra_context = {
            **(extra_context or {}),
            "held_months": batch.held_months if batch else [],
            "can_review": bool(
                batch
                and batch.status == KpiBatch.Status.PENDING
                and request.user.has_perm("kpis.review_kpibatch")
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request, batch_id: int):
        """Accept or reject a batch held for review, seeing what it changes in each issued month."""
        batch = batches_for_buyer_of(request.user).filter(pk=batch_id).first()
        if batch is None or not self.has_view_permission(request, batch):
            raise Http404("No such KPI batch.")
        form = KpiReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                if form.cleaned_data["decision"] == "accept":
                    kpi_batch_accept(batch_id=batch.pk, user=request.user)
                    message = (
                        f"Batch {batch.pk} accepted: its figures count, and a billing run corrects "
                        f"each issued month it changes ({len(batch.held_months)})."
                    )
                else:
                    kpi_batch_reject(batch_id=batch.pk, user=request.user, reason=form.cleaned_data["reason"])
                    message = f"Batch {batch.pk} rejected; the supplier sees your reason."
            except ReviewRefused as error:
                messages.error(request, f"Batch {batch.pk}: {error}.")
            else:
                self.log_change(request, batch, message)
                messages.success(request, message)
            return redirect("admin:kpis_kpibatch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Review KPI batch {batch.pk}",
            "batch": batch,
            "form": form,
            "can_review": batch.status == KpiBatch.Status.PENDING
            and request.user.has_perm("kpis.review_kpibatch"),
        }
        return render(request, "admin/kpis/kpibatch/review.html", context)

    def upload_view(self, request):
        if not request.user.has_perm("kpis.add_kpibatch"):
            messages.error(request, "You do not have permission to upload KPI files.")
            return redirect("admin:kpis_kpibatch_changelist")
        form = KpiFileForm(request.POST or None, request.FILES or None)
        result, refusal = None, upload_refusal(request)
        if refusal is not None:  # stopped while it arrived: nothing of it was kept
            form = KpiFileForm(request.POST, {})
            form.is_valid()
            form.errors["file"] = form.error_class([f"{refusal}."])
        elif request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                allowed = kpi_submittable_contract_ids(user=request.user)
            except NotActingForAnyone as error:
                messages.error(request, f"{upload.name}: {error}; nothing was read.")
                return redirect("admin:kpis_kpibatch_changelist")
            result = kpi_batch_ingest(
                file_name=upload.name,
                content=upload.file,  # read in chunks, from disk once it is large
                source="admin",
                uploaded_by=request.user,
                # Rows naming another buyer's contract are refused as unknown contracts.
                allowed_contracts=allowed,
                dry_run=form.cleaned_data["dry_run"],
            )
            if result.status == "accepted":
                messages.success(
                    request,
                    f"{upload.name}: ingested as batch {result.batch.pk} ({result.row_count:,} rows).",
                )
                return redirect("admin:kpis_kpibatch_change", result.batch.pk)
            if result.status == "pending_review":
                messages.warning(
                    request,
                    f"{upload.name}: stored as batch {result.batch.pk}, held for review: it changes "
                    f"{len(result.held_months)} issued month(s); it counts once procurement accepts it.",
                )
                return redirect("admin:kpis_kpibatch_change", result.batch.pk)
            if (
                result.status == "duplicate"
                and not self.get_queryset(request).filter(pk=result.batch.pk).exists()
            ):
                messages.warning(request, f"{upload.name}: this file was already ingested; nothing changed.")
                return redirect("admin:kpis_kpibatch_changelist")
            if result.status == "duplicate":
                messages.warning(
                    request, f"{upload.name}: already ingested as batch {result.batch.pk}; nothing changed."
                )
                return redirect("admin:kpis_kpibatch_change", result.batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload a KPI file",
            "form": form,
            "result": result,
        }
        status = 413 if refusal is not None else 200
        return render(request, "admin/kpis/kpibatch/upload.html", context, status=status)

    def month_view(self, request):
        """One line per KPI of a contract's month, as priced, with a drill-down to its rows."""
        form = MonthViewForm(request.GET or None)
        # Another buyer's contract is neither offered nor accepted.
        form.fields["contract"].queryset = contracts_for_buyer_of(request.user).order_by("reference")
        overview, period, shown = None, None, set()
        if form.is_valid():
            contract = form.cleaned_data["contract"]
            periods = contract_result_periods(contract=contract)
            period = form.cleaned_data["period"] or (periods[0] if periods else None)
            if period:
                overview = kpi_month_overview(contract=contract, period=Period.parse(period))
                shown = {batch.pk for line in overview.lines for batch in line.batches}
            # The bound field took its help text when the form was validated.
            form["period"].help_text = "Months with results: " + ", ".join(periods)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "KPI results by month",
            "form": form,
            "overview": overview,
            "period": period,
            "openable_batches": openable_batch_ids(request.user, shown),
        }
        return render(request, "admin/kpis/kpibatch/month.html", context)

    def month_rows_view(self, request):
        """One KPI's rows of a contract's month, ``ROWS_PER_PAGE`` at a time, each marked current,
        superseded, pending review or rejected. Bad parameters are form errors."""
        form = MonthRowsForm(request.GET or None)
        form.fields["contract"].queryset = contracts_for_buyer_of(request.user).order_by("reference")
        page, query = None, ""
        if form.is_valid():
            data = form.cleaned_data
            contract, kpi, period = data["contract"], data["kpi"], Period.parse(data["period"])
            rows = kpi_month_rows(contract_id=contract.pk, period=period, kpi_id=kpi.pk).select_related(
                "batch__organisation", "batch__uploaded_by"
            )
            query = urlencode({"contract": contract.pk, "period": str(period), "kpi": kpi.code})
            paginator = Paginator(rows, ROWS_PER_PAGE)
            number = data["page"] or 1
            if number > paginator.num_pages:
                form.add_error("page", f"there are {paginator.num_pages} page(s) of rows")
            else:
                page = paginator.page(number)
                current = kpi_current_batches(contract_id=contract.pk, period=period, kpi_id=kpi.pk)
                page.marked = marked_rows(page.object_list, current)
        shown = {row.batch_id for row in page.object_list} if page else set()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "KPI rows of a month",
            "form": form,
            "page": page,
            "query": query,
            "openable_batches": openable_batch_ids(request.user, shown),
        }
        return render(request, "admin/kpis/kpibatch/month_rows.html", context)


@admin.register(KpiResult)
class KpiResultAdmin(BuyerScopedAdminMixin, ReadOnlyAdmin):
    buyer_path = "contract__buyer_id"
    list_display = [
        "contract_reference",
        "period",
        "kpi_code",
        "date",
        "value_shown",
        "numerator",
        "denominator",
        "dimensions",
        "batch_link",
    ]
    list_filter = ["period", "kpi", ("contract", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["contract__reference", "kpi__code", "site", "channel"]
    list_select_related = ["contract", "kpi", "batch"]
    show_full_result_count = False

    @admin.display(description="contract", ordering="contract__reference")
    def contract_reference(self, result):
        return result.contract.reference

    @admin.display(description="KPI", ordering="kpi__code")
    def kpi_code(self, result):
        """The code, its name on hover: code and name together cut the list off."""
        return format_html('<span title="{}">{}</span>', result.kpi.name, result.kpi.code)

    @admin.display(description="value", ordering="value")
    def value_shown(self, result):
        """The value at its KPI's display precision (``81.60%``), the exact one on hover."""
        if result.value is None:
            return "—"
        return kpi_with_exact(result.value, result.kpi.unit, currency=result.contract.currency)

    @admin.display(description="channel / site")
    def dimensions(self, result):
        return " / ".join(part for part in (result.channel, result.site) if part) or "—"

    @admin.display(description="batch, row")
    def batch_link(self, result):
        return format_html(
            '<a href="{}">{}</a>, row {}',
            reverse("admin:kpis_kpibatch_change", args=[result.batch_id]),
            result.batch_id,
            result.source_row,
        )
