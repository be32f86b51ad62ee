"""Procurement's queue of suppliers' queries: open ones first, each with its thread, an answer
form and the resolution (explained, or accepted with a corrected KPI file). Scoped to the
user's buyer like every billing admin; another buyer's query is a 404."""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from contracts.admin import ReadOnlyAdmin
from contracts.tenancy import BuyerScopedAdminMixin
from core.uploads import upload_refusal

from .queries import CorrectedFile, QueryRefused, statement_query_reply, statement_query_resolve
from .query_forms import AnswerForm, ResolveForm
from .query_models import StatementQuery
from .query_selectors import query_adjustments, statement_acknowledgement, statement_queries


class OpenFilter(admin.SimpleListFilter):
    """Open queries by default (the queue); resolved ones, or all, on request."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(resolved_at__isnull=True)
        if value == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(StatementQuery)
class StatementQueryAdmin(BuyerScopedAdminMixin, ReadOnlyAdmin):
    buyer_path = "statement__buyer_id"
    list_display = [
        "__str__",
        "document",
        "contract",
        "period",
        "subject",
        "status",
        "raised_by",
        "raised_at",
    ]
    list_filter = [OpenFilter, "status"]
    list_select_related = ["statement__contract", "raised_by"]
    search_fields = ["statement__number", "statement__contract__reference"]
    fields = [
        "document",
        "subject",
        "status",
        "raised_by",
        "raised_at",
        "resolved_by",
        "resolved_at",
        "agreed_amount",
        "correction_batch",
        "correction_run",
    ]
    readonly_fields = fields
    change_form_template = "admin/billing/statementquery/change_form.html"

    def get_queryset(self, request):
        # The oldest open query first: the queue is worked from the top.
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_first=Case(
                    When(resolved_at__isnull=True, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("open_first", "raised_at", "pk")
        )

    @admin.display(description="document", ordering="statement__number")
    def document(self, query):
        return query.statement.number

    @admin.display(description="contract", ordering="statement__contract__reference")
    def contract(self, query):
        return query.statement.contract.reference

    @admin.display(description="period", ordering="statement__period")
    def period(self, query):
        return query.statement.period

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/answer/", view(self.answer_view), name="billing_statementquery_answer"),
            path("<path:object_id>/resolve/", view(self.resolve_view), name="billing_statementquery_resolve"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        query = self.get_object(request, object_id)
        extra = {}
        if query is not None:
            can_resolve = query.is_open and request.user.has_perm("billing.resolve_statementquery")
            extra = {
                "query": query,
                "thread": query.messages.select_related("author").order_by("at", "pk"),
                "adjustment": query_adjustments([query]).get(query.pk),
                "statement_url": reverse("admin:billing_statement_change", args=[query.statement_id]),
                "can_resolve": can_resolve,
                "answer_form": extra_context.pop("answer_form", None) if extra_context else None,
                "resolve_form": extra_context.pop("resolve_form", None) if extra_context else None,
            }
            extra["answer_form"] = extra["answer_form"] or AnswerForm()
            extra["resolve_form"] = extra["resolve_form"] or ResolveForm()
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _query_or_404(self, request, object_id) -> StatementQuery:
        query = self.get_object(request, object_id)
        if query is None or not request.user.has_perm("billing.resolve_statementquery"):
            raise Http404("No such query")
        return query

    def _refused(self, request, query, refused: QueryRefused, **forms):
        messages.error(request, str(refused))
        for error in refused.errors:
            messages.error(request, error)
        return self._page_again(request, query, forms)

    def answer_view(self, request, object_id):
        return require_POST(self._answer)(request, object_id)

    def _answer(self, request, object_id):
        query = self._query_or_404(request, object_id)
        form = AnswerForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, query, answer_form=form)
        try:
            statement_query_reply(query_id=query.pk, user=request.user, text=form.cleaned_data["text"])
        except QueryRefused as refused:
            return self._refused(request, query, refused, answer_form=form)
        self.log_change(request, query, "Answered")
        messages.success(request, f"{query}: your answer was sent; the query stays open.")
        return redirect("admin:billing_statementquery_change", query.pk)

    def resolve_view(self, request, object_id):
        return require_POST(self._resolve)(request, object_id)

    def _resolve(self, request, object_id):
        query = self._query_or_404(request, object_id)
        form = ResolveForm(request.POST, request.FILES, refusal=upload_refusal(request))
        if not form.is_valid():
            return self._invalid(request, query, resolve_form=form)
        upload = form.cleaned_data["kpi_file"]
        corrected = None if upload is None else CorrectedFile(upload.name, upload.read())
        try:
            resolved = statement_query_resolve(
                query_id=query.pk,
                user=request.user,
                resolution=form.cleaned_data["resolution"],
                text=form.cleaned_data["text"],
                corrected=corrected,
                agreed_amount=form.cleaned_data["agreed_amount"],
            )
        except QueryRefused as refused:
            return self._refused(request, query, refused, resolve_form=form)
        self.log_change(request, resolved, f"Resolved: {resolved.status}")
        if resolved.correction_run_id:
            basis = (
                f"KPI batch {resolved.correction_batch_id} ingested"
                if resolved.correction_batch_id
                else f"amount {resolved.agreed_amount} agreed"
            )
            messages.success(
                request,
                f"{resolved}: accepted; {basis} and billing run {resolved.correction_run_id} started: "
                "its adjustment draft is reviewed and issued as any other.",
            )
        else:
            messages.success(request, f"{resolved}: explained; nothing changes.")
        return redirect("admin:billing_statementquery_change", resolved.pk)

    def _page_again(self, request, query, forms):
        """The query's page with the posted forms and their errors (400). Rendered as a read of
        the page: the change view would take a POST as an attempt to edit the row itself."""
        request.method = "GET"
        response = self.change_view(request, str(query.pk), extra_context=forms)
        response.status_code = 400
        return response

    def _invalid(self, request, query, **forms):
        messages.error(request, "Please correct the errors below; nothing was changed.")
        return self._page_again(request, query, forms)


def statement_query_admin_context(statement) -> dict:
    """What the statement's admin page shows of queries: each query with a link to it, whether
    one is open ("Queried"), and the supplier's acknowledgement."""
    queries = list(statement_queries(statement=statement))
    return {
        "statement_queries": queries,
        "statement_queried": any(query.is_open for query in queries),
        "acknowledgement": statement_acknowledgement(statement=statement),
    }
