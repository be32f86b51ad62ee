"""The admin's value pages: a contract's value (linked from its change page) and procurement's
portfolio (linked from the admin index). Both read :mod:`billing.value_pages` and change
nothing. A contract outside the user's buyer is a 404, as every admin page of another buyer's
object; the portfolio is always of the user's own buyer (every buyer's for a superuser)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from contracts.tenancy import EVERYTHING, buyer_scope, contracts_for_buyer_of

from .models import Statement
from .value_pages import (
    PortfolioForm,
    ValueRangeForm,
    contract_value_context,
    portfolio_context,
    value_range,
)


def contract_value_view(model_admin, request, contract_id: int):
    """GET ``?from=YYYY-MM&to=YYYY-MM``: the contract's months with their value and pay; a bad
    month or range is shown as a form error, never a 500."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    contract = (
        contracts_for_buyer_of(request.user)
        .select_related("buyer", "supplier")
        .filter(pk=contract_id)
        .first()
    )
    if contract is None:
        raise Http404("No such contract")
    form = ValueRangeForm(request.GET)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Statement._meta,
        "title": f"Value: {contract.reference}",
        "contract": contract,
        "form": form,
    }
    if form.is_valid():
        try:
            first, last = value_range(
                contract=contract, first=form.cleaned_data["from_"], last=form.cleaned_data["to"]
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            context.update(contract_value_context(contract=contract, first=first, last=last))
    return render(request, "admin/billing/value/contract.html", context)


def portfolio_view(model_admin, request):
    """GET ``?year=YYYY`` (default: the latest year with documents): the buyer's contracts
    over the year. Only procurement users (and superusers) have a buyer here."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    scope = buyer_scope(request.user)
    if scope is None:
        raise PermissionDenied
    buyer_id = None if scope is EVERYTHING else scope
    form = PortfolioForm(request.GET)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Statement._meta,
        "title": "Portfolio",
        "form": form,
    }
    if form.is_valid():
        context.update(portfolio_context(buyer_id=buyer_id, year=form.cleaned_data["year"]))
        if context.get("year"):
            context["title"] = f"Portfolio: {context['year']}"
    return render(request, "admin/billing/value/portfolio.html", context)
