"""Who sees which issued documents: the one place that decides it for the API."""

from hmac import compare_digest

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed

from contracts.tenancy import EVERYTHING, buyer_scope

from .models import Statement

VISIBLE_STATUSES = ("issued", "paid", "void")
# What a supplier sees of a visible document's history: the document as issued and what has
# happened to it since. The drafts, re-pricings, changed inputs and approval that led to it
# are the buyer's internal review, and stay the buyer's. The supplier's queries and their
# answers, and its acknowledgement, are between the two parties.
SUPPLIER_EVENT_KINDS = (
    "issued",
    "pdf stored",
    "voided",
    "paid",
    "query raised",
    "query answered",
    "query resolved",
    "acknowledged",
)

MAX_TOKEN_CHARS = 128  # knox makes 64; anything longer is refused before it is hashed


class MembershipTokenAuthentication(TokenAuthentication):
    """Knox's token authentication (``Authorization: Token <key>``, the key kept only as a
    SHA-512 digest), reading the user and its membership in the same query as the token, so
    the checks below cost no further query for a finance, supplier or procurement user. The
    API's token authentication (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``).

    Unlike knox's own, it does not also sweep the user's other expired tokens on every request
    (one more query each time); an expired token is refused and deleted when it is presented.
    Raises ``AuthenticationFailed`` for an unknown, expired, malformed or inactive user's key."""

    def authenticate_credentials(self, token: bytes):
        invalid = AuthenticationFailed(_("Invalid token."))
        try:
            key = token.decode("ascii")
        except UnicodeDecodeError:
            raise invalid from None
        if not key or len(key) > MAX_TOKEN_CHARS:
            raise invalid
        digest = hash_token(key)
        candidates = AuthToken.objects.filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related(
            "user__membership"
        )
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                raise invalid
            return self.validate_user(auth_token)
        raise invalid


class MembershipTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for the token header. It keeps the name the schema gave
    DRF's tokens ("tokenAuth"), since the header clients send is unchanged."""

    target_class = MembershipTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


def visible_statements(user) -> QuerySet[Statement]:
    """Issued documents ``user`` may see: a finance or procurement user its buyer's, a supplier
    user its own, a superuser all; anyone else none, whatever permissions it holds. Drafts are
    never visible.

    The membership decides alone and no permission is looked up, so the check costs no query
    once the membership is read with the user. The parties are those the document holds from
    issue on (``Statement.buyer``, ``.supplier``); procurement's buyer comes from
    :func:`contracts.tenancy.buyer_scope`, the rule the admin applies too."""
    statements = Statement.objects.filter(status__in=VISIBLE_STATUSES)
    membership = getattr(user, "membership", None)
    if membership is not None and membership.role == "supplier":
        return statements.filter(supplier_id=membership.organisation_id)
    if membership is not None and membership.role == "finance":
        return statements.filter(buyer_id=membership.organisation_id)
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return statements
    if scope is None:
        return statements.none()
    return statements.filter(buyer_id=scope)


def visible_event_kinds(user) -> tuple[str, ...] | None:
    """The kinds of event ``user`` sees in the history of a document it may see
    (:func:`visible_statements`): a supplier user :data:`SUPPLIER_EVENT_KINDS`, everyone else
    every kind (``None``). Decided by the membership alone, as the documents are."""
    membership = getattr(user, "membership", None)
    if membership is not None and membership.role == "supplier":
        return SUPPLIER_EVENT_KINDS
    return None


def can_record_payments(user) -> bool:
    membership = getattr(user, "membership", None)
    return (membership is not None and membership.role == "finance") or user.has_perm(
        "billing.change_statement"
    )
