"""The supplier's value pages: its contracts, and for each the value created and its pay by
month, the same numbers and charts as procurement's admin page (:mod:`billing.value_pages`),
read from the documents the supplier may see (issued and paid, its own). Another supplier's
contract, or one with no document the user may see, is a 404."""

from django.db.models import Max, Min
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.permissions import visible_statements
from billing.value import COUNTING
from billing.value_pages import ValueRangeForm, contract_value_context, value_range
from contracts.models import Contract

from .views import supplier_required


def _own_documents(user):
    return visible_statements(user).filter(status__in=COUNTING)


@require_GET
@supplier_required
def contract_value_list(request):
    """The user's contracts with an issued or paid document, by reference, with their months."""
    contracts = (
        _own_documents(request.user)
        .values("contract__reference", "contract__title", "contract__buyer__name")
        .annotate(first=Min("period"), last=Max("period"))
        .order_by("contract__reference")
    )
    return render(request, "portal/value_list.html", {"contracts": list(contracts)})


@require_GET
@supplier_required
def contract_value(request, reference: str):
    """``?from=YYYY-MM&to=YYYY-MM`` as on the admin's page; a bad range is a form error."""
    supplier_id = request.user.membership.organisation_id
    if not _own_documents(request.user).filter(contract__reference=reference).exists():
        raise Http404("No such contract")
    # The documents name the supplier as issued; the contract row is read by its reference.
    contract = Contract.objects.select_related("buyer").get(reference=reference)
    scope = {"supplier_id": supplier_id}
    form = ValueRangeForm(request.GET)
    context = {"contract": contract, "form": form}
    if form.is_valid():
        try:
            first, last = value_range(
                contract=contract, first=form.cleaned_data["from_"], last=form.cleaned_data["to"], scope=scope
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            context.update(contract_value_context(contract=contract, first=first, last=last, scope=scope))
    status = 200 if form.is_valid() else 400
    return render(request, "portal/value_contract.html", context, status=status)
