"""The portal's query and acknowledgement actions: POST only, CSRF-checked, supplier users
only, a 404 for a document (or a query) the user may not see. A refused form shows the
statement page again with its errors (400); a done action returns to the page."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.models import StatementQuery
from billing.queries import (
    QueryRefused,
    statement_acknowledge,
    statement_query_raise,
    statement_query_reply,
)

from . import selectors
from .queries import line_choices
from .query_forms import RaiseQueryForm, ReplyForm
from .views import _statement_or_404, supplier_required


def _page_again(request, statement, *, status=400, **forms):
    context = selectors.statement_page(user=request.user, statement=statement)
    context.update(forms)
    return render(request, "portal/statement_detail.html", context, status=status)


def _back(statement, anchor: str):
    return redirect(reverse("portal:statement-detail", args=[statement.number]) + f"#{anchor}")


@require_POST
@supplier_required
def statement_query_raise_view(request, number: str):
    statement = _statement_or_404(request, number)
    form = RaiseQueryForm(request.POST, lines=line_choices(statement))
    if form.is_valid():
        try:
            query = statement_query_raise(
                statement_id=statement.pk,
                user=request.user,
                text=form.cleaned_data["text"],
                line_position=form.line_position(),
            )
        except QueryRefused as refused:
            form.add_error(None, str(refused))
        else:
            return _back(statement, f"query-{query.pk}")
    return _page_again(request, statement, query_form=form)


@require_POST
@supplier_required
def statement_query_reply_view(request, number: str, query_id: int):
    statement = _statement_or_404(request, number)
    query = StatementQuery.objects.filter(pk=query_id, statement=statement).first()
    if query is None:
        raise Http404("No such query")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            statement_query_reply(query_id=query.pk, user=request.user, text=form.cleaned_data["text"])
        except QueryRefused as refused:
            form.add_error(None, str(refused))
        else:
            return _back(statement, f"query-{query.pk}")
    return _page_again(request, statement, reply_form=form, reply_query_id=query.pk)


@require_POST
@supplier_required
def statement_acknowledge_view(request, number: str):
    statement = _statement_or_404(request, number)
    try:
        statement_acknowledge(statement_id=statement.pk, user=request.user)
    except QueryRefused as refused:
        return _page_again(request, statement, acknowledge_error=str(refused))
    return _back(statement, "acknowledgement")
