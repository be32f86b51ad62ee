"""The month-close page: procurement's admin page for one period, and its bulk actions.

It reads its rows from :mod:`billing.month_close` and changes nothing itself: "run billing"
starts the run the billing-run admin would start (``billing_runs_for_user``), "approve" and
"issue" call ``statement_approve`` and ``statement_issue`` once per document, as the
statement changelist's actions do, so the permission and four-eyes rules are the services'
own; each refusal is reported with its contract and each change is written to Django's admin
log. Issuing assigns numbers and cannot be undone, so it asks for confirmation first, listing
the documents, and issues only those (none that became approved meanwhile).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from pricing.period import Period

from . import services, tasks
from .models import BillingRun, Statement
from .month_close import (
    FILTERS,
    ORDERS,
    MonthCloseRow,
    month_close_counts,
    month_close_rows,
    month_close_runs,
    month_close_select,
    month_close_total,
    runs_in_progress,
)

PAGE_SIZE = 100
MAX_PAGE = 10_000
# At most this many documents are issued by one confirmation, which lists each as a field of
# its form: Django refuses a POST of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields.
# The rest are issued by the next confirmation.
MAX_CONFIRMED = 900
# A success message names this many documents, then counts the rest.
NAMED_IN_MESSAGE = 20


def default_period() -> Period:
    """Last month, the month the monthly schedule prices (``run_billing_for_previous_month``)."""
    return Period.of(timezone.localdate()).previous()


def _period(value: str) -> Period:
    try:
        return Period.parse(value)
    except ValueError:
        raise ValidationError("Enter a period as YYYY-MM.") from None


class MonthCloseForm(forms.Form):
    """The page's query: every field optional, each bounded; a bad value is a form error."""

    period = forms.CharField(required=False, max_length=7, help_text="YYYY-MM")
    state = forms.ChoiceField(required=False, choices=[("", "All"), *FILTERS.items()])
    order = forms.ChoiceField(
        required=False,
        choices=[(key, f"{label}, ascending") for key, label in ORDERS.items()]
        + [(f"-{key}", f"{label}, descending") for key, label in ORDERS.items()],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def clean_period(self) -> Period:
        value = self.cleaned_data["period"]
        return _period(value) if value else default_period()


class DocumentIdsField(forms.TypedMultipleChoiceField):
    """Statement ids, each a plain number of at most 18 digits; whether each is a document of
    the page is checked when the action runs, against the rows the user sees then."""

    def valid_value(self, value) -> bool:
        text = str(value)
        return text.isascii() and text.isdigit() and len(text) <= 18


class BulkActionForm(forms.Form):
    """A bulk action's POST: the period, the action and, to issue, the confirmed documents."""

    period = forms.CharField(max_length=7)
    action = forms.ChoiceField(choices=[("run", "run"), ("approve", "approve"), ("issue", "issue")])
    confirm = forms.BooleanField(required=False)
    statement = DocumentIdsField(required=False, coerce=int)

    def clean_period(self) -> Period:
        return _period(self.cleaned_data["period"])

    def clean_statement(self) -> list[int]:
        ids = self.cleaned_data["statement"]
        if len(ids) > MAX_CONFIRMED:
            raise ValidationError(f"at most {MAX_CONFIRMED} documents are issued at once")
        return ids


def month_close_url(period: Period, **query) -> str:
    return f"{reverse('admin:billing_statement_month_close')}?{urlencode({'period': str(period), **query})}"


def month_close_view(model_admin, request):
    """GET: the page for ``?period=`` (default last month), filtered by ``?state=``, sorted by
    ``?order=``, 100 rows a page. POST: a bulk action for the period, then back to the page."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method == "POST":
        return _bulk_action(model_admin, request)
    query = request.GET.copy()
    if not query.get("period"):  # shown in the form as the month the page is of
        query["period"] = str(default_period())
    form = MonthCloseForm(query)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Statement._meta,
        "title": "Month close",
        "form": form,
    }
    if not form.is_valid():
        return render(request, "admin/billing/month_close/page.html", context)
    period, state = form.cleaned_data["period"], form.cleaned_data["state"]
    order = form.cleaned_data["order"] or "reference"
    rows = month_close_rows(user=request.user, period=period)
    page = Paginator(month_close_select(rows, state=state, order=order), PAGE_SIZE).get_page(
        form.cleaned_data["page"] or 1
    )
    runs = month_close_runs(runs=_run_admin(model_admin).get_queryset(request), period=period)
    user = request.user
    context.update(
        {
            "title": f"Month close: {period}",
            "period": period,
            "previous": period.previous(),
            "next": period.next(),
            "state": state,
            "page": page,
            "filters": _filter_links(period, order, state, month_close_counts(rows)),
            "columns": _sort_links(period, state, order),
            "totals": month_close_total(rows),
            "runs": runs,
            "refresh": runs_in_progress(runs),
            "can_run": user.has_perm("billing.add_billingrun"),
            "can_approve": user.has_perm("billing.approve_statement"),
            "can_issue": user.has_perm("billing.issue_statement"),
            "approvable": len(_approvable(rows)),
            "flagged": sum(len(row.flagged_drafts) for row in rows),
            "issuable": len(_issuable(rows)),
            "pending_url": f"{reverse('admin:kpis_kpibatch_changelist')}?status__exact=pending",
        }
    )
    return render(request, "admin/billing/month_close/page.html", context)


def _run_admin(model_admin):
    return model_admin.admin_site._registry[BillingRun]


def _filter_links(period: Period, order: str, state: str, counts: dict[str, int]) -> list[dict]:
    choices = [("", "All", counts["all"]), *((key, label, counts[key]) for key, label in FILTERS.items())]
    return [
        {
            "label": label,
            "count": count,
            "selected": key == state,
            "url": month_close_url(period, **({"state": key} if key else {}), order=order),
        }
        for key, label, count in choices
    ]


def _sort_links(period: Period, state: str, order: str) -> dict[str, dict]:
    """Each sortable column's link: ascending first, the other way when it is the current order."""
    links = {}
    for key in ORDERS:
        ascending = order == key
        links[key] = {
            "url": month_close_url(period, state=state, order=f"-{key}" if ascending else key),
            "sorted": "ascending" if ascending else "descending" if order == f"-{key}" else "",
        }
    return links


def _approvable(rows: list[MonthCloseRow]) -> list[Statement]:
    """Drafts without flags: a flagged draft is left for a reviewer to open."""
    return [d for row in rows for d in row.documents if d.status == Statement.Status.DRAFT and not d.flags]


def _issuable(rows: list[MonthCloseRow]) -> list[Statement]:
    return [d for row in rows for d in row.documents if d.status == Statement.Status.APPROVED]


def _bulk_action(model_admin, request):
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        messages.error(request, f"Nothing was done: {errors}")
        period = default_period()
        if "period" not in form.errors:
            period = form.cleaned_data["period"]
        return redirect(month_close_url(period))
    period, action = form.cleaned_data["period"], form.cleaned_data["action"]
    permission = {"run": "add_billingrun", "approve": "approve_statement", "issue": "issue_statement"}[action]
    if not request.user.has_perm(f"billing.{permission}"):
        messages.error(
            request, f"Nothing was done: you need the billing.{permission} permission to {action}."
        )
        return redirect(month_close_url(period))
    if action == "run":
        _run(model_admin, request, period)
        return redirect(month_close_url(period))
    rows = month_close_rows(user=request.user, period=period)
    if action == "approve":
        _approve(model_admin, request, rows)
        return redirect(month_close_url(period))
    documents = _issuable(rows)
    if not form.cleaned_data["confirm"]:
        return _confirm_issue(model_admin, request, period, documents)
    confirmed = set(form.cleaned_data["statement"])
    chosen = [d for d in documents if d.pk in confirmed]
    if len(chosen) < len(confirmed):
        messages.warning(
            request,
            f"{len(confirmed) - len(chosen)} of the documents you confirmed are no longer approved "
            "(issued, re-priced or void meanwhile): they were not issued.",
        )
    _each(model_admin, request, chosen, services.statement_issue, "issued")
    return redirect(month_close_url(period))


def _run(model_admin, request, period: Period) -> None:
    """Start the user's billing run of ``period``, as the billing-run admin's run view does."""
    from .admin import billing_runs_for_user  # the admin module imports this one

    try:
        runs = billing_runs_for_user(request.user, period=period, contract_reference=None)
    except services.BillingError as error:
        messages.error(request, f"Billing was not run: {error}")
        return
    for run in runs:
        _run_admin(model_admin).log_addition(request, run, f"Started billing run for {period} (month close)")
        tasks.run_billing.delay(run.pk)
    where = "in this request" if settings.CELERY_TASK_ALWAYS_EAGER else "on the workers"
    messages.success(request, f"Billing run for {period} started {where}; its progress is shown below.")


def _approve(model_admin, request, rows: list[MonthCloseRow]) -> None:
    flagged = sum(len(row.flagged_drafts) for row in rows)
    if flagged:
        messages.info(
            request, f"{flagged} draft(s) with flags were left for review: open each to approve it."
        )
    drafts = _approvable(rows)
    if not drafts:
        messages.warning(request, "No draft without flags to approve.")
    _each(model_admin, request, drafts, services.statement_approve, "approved")


def _confirm_issue(model_admin, request, period: Period, documents: list[Statement]):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Statement._meta,
        "title": f"Issue {len(documents)} document(s) of {period}?",
        "period": period,
        "documents": documents[:MAX_CONFIRMED],
        "more": max(len(documents) - MAX_CONFIRMED, 0),
        "four_eyes": settings.FOUR_EYES,
        "back": month_close_url(period),
    }
    return render(request, "admin/billing/month_close/confirm_issue.html", context)


def document_label(document: Statement) -> str:
    """``ACME-TEL-001 2026-03`` for an original, with ``r2 (adjustment)`` for an adjustment."""
    label = f"{document.contract.reference} {document.period}"
    return f"{label} r{document.revision} (adjustment)" if document.adjusts_id else label


def _each(model_admin, request, documents: list[Statement], action, done: str) -> None:
    """Run ``action`` on each document as ``request.user``, in the page's order. Each refusal
    (the four-eyes rule, a document changed meanwhile, a self-billing agreement missing) is
    reported with its contract; each success is written to Django's admin log, and they are
    reported together."""
    succeeded = []
    for document in documents:
        try:
            changed = action(statement_id=document.pk, user=request.user)
        except services.BillingError as error:
            messages.error(request, f"{document_label(document)}: not {done}: {error}")
        else:
            model_admin.log_change(request, changed, f"{done.capitalize()} (month close)")
            succeeded.append(changed.number or document_label(document))
    if succeeded:
        named = ", ".join(succeeded[:NAMED_IN_MESSAGE])
        rest = len(succeeded) - NAMED_IN_MESSAGE
        messages.success(
            request, f"{len(succeeded)} {done}: {named}" + (f" and {rest} more" if rest > 0 else "") + "."
        )
