from django.core.management.base import BaseCommand, CommandError

from contracts.models import Membership
from portal.services import PortalUserError, user_set


class Command(BaseCommand):
    help = (
        "Create or update a user acting for an organisation: a supplier (portal), buyer finance "
        "(API) or buyer procurement (admin, staff in the Procurement group). Without --password a "
        "new user sets a password through 'Forgotten your password?' (needs --email)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="the organisation's code, e.g. NORTHWIND")
        parser.add_argument("--role", required=True, choices=Membership.Role.values)
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="for demos and tests; people should use the password reset")

    def handle(self, *args, organisation, role, username, email, password, **options):
        try:
            user = user_set(
                organisation_code=organisation, role=role, username=username, email=email, password=password
            )
        except PortalUserError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{user.username}: {role} user of {organisation}")
