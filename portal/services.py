"""Writes for the supplier portal: supplier user accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction

from contracts.models import Membership, Organisation


class PortalUserError(Exception):
    pass


def supplier_user_set(*, organisation_code: str, username: str, email: str = "", password: str | None = None):
    """Create or update ``username`` as a supplier user of the organisation coded
    ``organisation_code`` (idempotent). Without ``password`` a new user gets an unusable
    one and sets it through the password reset; an existing user's password is kept.

    Raises ``PortalUserError`` when the organisation does not exist or the user already acts
    for another organisation or in another role."""
    organisation = Organisation.objects.filter(code=organisation_code).first()
    if organisation is None:
        raise PortalUserError(f"no organisation with code {organisation_code!r}")
    with transaction.atomic():
        user, created = get_user_model().objects.select_for_update().get_or_create(username=username)
        membership = Membership.objects.filter(user=user).first()
        if membership is not None and (membership.organisation_id, membership.role) != (
            organisation.pk,
            Membership.Role.SUPPLIER,
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
        user.save()
        if membership is None:
            Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.SUPPLIER)
    return user
