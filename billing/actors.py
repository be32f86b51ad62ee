"""Who acts on statements: the named system actor, the permission and four-eyes checks.

The rules apply when a user is given (an admin user, an API token's user, ``--user``); a
state change made by no one in particular (a command without ``--user``) is recorded with no
actor and is not blocked. With ``settings.FOUR_EYES`` on, the user who started the billing run
that priced a draft may not approve it, and the user who approved a statement may not issue it.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from contracts.tenancy import EVERYTHING, buyer_scope
from core.users import MAX_USERNAME, active_user_named

from .errors import BillingError

SYSTEM_USERNAME = "system"


def system_actor():
    """The user scheduled runs act as: username ``system``, no usable password, not staff;
    created the first time it is needed. Read, then (if missing) one insert in its own
    transaction: a read followed by a write in one SQLite transaction fails at once when
    another process writes ("database is locked") instead of waiting its turn."""
    users = get_user_model().objects
    user = users.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    user = get_user_model()(username=SYSTEM_USERNAME, is_staff=False, is_active=True)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # created by another process meanwhile
        return users.get(username=SYSTEM_USERNAME)
    return user


def require_permission(user, codename: str, what: str) -> None:
    """Raise ``BillingError`` unless ``user`` (when given) holds ``billing.<codename>``."""
    if user is not None and not user.has_perm(f"billing.{codename}"):
        raise BillingError(f"{user.username} may not {what}: the {codename} permission is required")


def check_four_eyes_approve(statement, user) -> None:
    """Raise ``BillingError`` if ``user`` started the billing run that priced ``statement``."""
    run = statement.billing_run
    if settings.FOUR_EYES and user is not None and run is not None and run.requested_by_id == user.pk:
        raise BillingError(
            f"four-eyes: {user.username} started the billing run that priced {statement}; "
            "another procurement user must approve it"
        )


def check_four_eyes_issue(statement, user) -> None:
    """Raise ``BillingError`` if ``user`` approved ``statement``."""
    if settings.FOUR_EYES and user is not None and statement.approved_by_id == user.pk:
        raise BillingError(
            f"four-eyes: {user.username} approved {statement}; another procurement user must issue it"
        )


def user_by_username(username: str | None):
    """The active user named ``username`` (``--user`` of a command), or ``None`` when none was
    given. Raises ``BillingError`` naming the option when there is no such active user."""
    if username is None:
        return None
    if len(username) > MAX_USERNAME:
        raise BillingError(f"--user: a username has at most {MAX_USERNAME} characters")
    user = active_user_named(username)
    if user is None:
        raise BillingError(f"--user: no active user named {username!r}")
    return user


def actor_buyer_id(user) -> int | None:
    """The buyer whose statements ``user`` (``--user`` of a command) may act on: ``None`` for
    no user or a superuser (every buyer), the buyer it is procurement for otherwise. Raises
    ``BillingError`` for a user who acts for no buyer, so a command never reaches another
    buyer's contracts."""
    if user is None:
        return None
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return None
    if scope is None:
        raise BillingError(f"--user: {user.username} is not a procurement user of a buyer")
    return scope
