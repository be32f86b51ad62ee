"""Writes for user accounts: who acts for which organisation, and their API tokens."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from contracts.models import Membership, Organisation

PROCUREMENT_GROUP = "Procurement"  # created by portal/migrations/0001_procurement_group.py


class PortalUserError(Exception):
    pass


def user_set(
    *, organisation_code: str, role: str, username: str, email: str = "", password: str | None = None
):
    """Create or update ``username`` as a ``role`` user ("supplier", "finance" or
    "procurement") of the organisation coded ``organisation_code`` (idempotent).

    Procurement users are staff in the "Procurement" group and work in the admin for their
    buyer only; supplier and finance users are not staff (the portal and the API). Without
    ``password`` a new user gets an unusable one and sets it through the password reset; an
    existing user's password is kept.

    Raises ``PortalUserError`` for an unknown role or organisation, when the user already acts
    for another organisation or in another role, or for a procurement user when the
    "Procurement" group is missing."""
    if role not in Membership.Role.values:
        raise PortalUserError(f"role must be one of {', '.join(Membership.Role.values)}, not {role!r}")
    organisation = Organisation.objects.filter(code=organisation_code).first()
    if organisation is None:
        raise PortalUserError(f"no organisation with code {organisation_code!r}")
    group = None
    if role == Membership.Role.PROCUREMENT:
        group = Group.objects.filter(name=PROCUREMENT_GROUP).first()
        if group is None:
            raise PortalUserError(f"the {PROCUREMENT_GROUP!r} group is missing; run manage.py migrate")
    with transaction.atomic():
        user, created = get_user_model().objects.select_for_update().get_or_create(username=username)
        membership = Membership.objects.filter(user=user).first()
        if membership is not None and (membership.organisation_id, membership.role) != (
            organisation.pk,
            role,
        ):
            raise PortalUserError(
                f"{username} already acts for {membership.organisation} as {membership.role}"
            )
        if email:
            user.email = email
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        # Only procurement works in the admin; a superuser keeps its own flags.
        if not user.is_superuser:
            user.is_staff = role == Membership.Role.PROCUREMENT
        user.save()
        if group is not None:
            user.groups.add(group)
        if membership is None:
            Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def supplier_user_set(*, organisation_code: str, username: str, email: str = "", password: str | None = None):
    """:func:`user_set` with role "supplier"."""
    return user_set(
        organisation_code=organisation_code,
        role="supplier",
        username=username,
        email=email,
        password=password,
    )


def api_token_create(*, username: str, replace: bool = False) -> str:
    """A new API token for ``username``, returned once: only its SHA-512 digest is stored
    (knox), so it cannot be shown again. With ``replace`` the user's other tokens are deleted
    in the same transaction. The token's lifetime is ``REST_KNOX["TOKEN_TTL"]`` (none unless
    ``API_TOKEN_TTL_DAYS`` is set).

    Raises ``PortalUserError`` for an unknown or inactive user."""
    from knox.models import AuthToken

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise PortalUserError(f"no user {username!r}")
    if not user.is_active:
        raise PortalUserError(f"{username} is inactive")
    with transaction.atomic():
        if replace:
            AuthToken.objects.filter(user=user).delete()
        _, token = AuthToken.objects.create(user=user)
    return token
