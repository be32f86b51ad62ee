"""Supplier portal pages: thin views over :mod:`portal.selectors`."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.pdf import statement_pdf_store

from . import selectors
from .forms import StatementFilterForm


def supplier_required(view):
    """Signed-in supplier users only: others are sent to log in, or shown a 403 page that
    depends on nothing but their own account (so it reveals no document)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.portal_access(request.user):
            return render(request, "portal/denied.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _statement_or_404(request, number: str):
    statement = selectors.statement_for_user(user=request.user, number=number)
    if statement is None:
        raise Http404("No such statement")
    return statement


@require_GET
@supplier_required
def statement_list(request):
    form = StatementFilterForm(request.GET or None, **selectors.statement_filter_choices(user=request.user))
    statements = selectors.statement_list(user=request.user, **form.filters())
    page = Paginator(statements, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/statement_list.html", {"form": form, "page": page})


@require_GET
@supplier_required
def statement_detail(request, number: str):
    statement = _statement_or_404(request, number)
    return render(
        request,
        "portal/statement_detail.html",
        selectors.statement_page(user=request.user, statement=statement),
    )


@require_GET
@supplier_required
def statement_pdf(request, number: str):
    """The PDF stored for the issued statement; rendered and stored once if issuing's queued
    render has not landed yet, so it is never regenerated differently."""
    statement = _statement_or_404(request, number)
    if not statement.pdf:
        statement_pdf_store(statement_id=statement.pk)
        statement.refresh_from_db()
    return FileResponse(
        statement.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{statement.number}.pdf",
    )
