"""Who sees which issued documents: the one place that decides it for the API."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import Statement

VISIBLE_STATUSES = ("issued", "paid", "void")


class MembershipTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, reading the user's membership in the same query as the
    token, so the checks below cost no further query for a finance or supplier user. The API's
    token authentication (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``)."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__membership").get(key=key)
        except model.DoesNotExist:
            raise AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


def visible_statements(user) -> QuerySet[Statement]:
    """Issued documents ``user`` may see: a finance user its buyer's, a supplier user its own,
    procurement (view permission) all; anyone else none. Drafts are never visible.

    A finance or supplier membership decides alone, before any permission is looked up: such a
    user sees its own organisation's documents even if it also holds the view permission. The
    parties are those the document holds from issue on (``Statement.buyer``, ``.supplier``)."""
    statements = Statement.objects.filter(status__in=VISIBLE_STATUSES)
    membership = getattr(user, "membership", None)
    if membership is not None and membership.role == "supplier":
        return statements.filter(supplier_id=membership.organisation_id)
    if membership is not None and membership.role == "finance":
        return statements.filter(buyer_id=membership.organisation_id)
    if user.has_perm("billing.view_statement"):
        return statements
    if membership is None:
        return statements.none()
    return statements.filter(buyer_id=membership.organisation_id)


def can_record_payments(user) -> bool:
    membership = getattr(user, "membership", None)
    return (membership is not None and membership.role == "finance") or user.has_perm(
        "billing.change_statement"
    )
