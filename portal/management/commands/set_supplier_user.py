from django.core.management.base import BaseCommand, CommandError

from portal.services import PortalUserError, supplier_user_set


class Command(BaseCommand):
    help = (
        "Create or update a supplier portal user for an organisation (set_user --role supplier). "
        "Without --password a new user sets a password through 'Forgotten your password?' (needs --email)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="the organisation's code, e.g. NORTHWIND")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="for demos and tests; people should use the password reset")

    def handle(self, *args, organisation, username, email, password, **options):
        try:
            user = supplier_user_set(
                organisation_code=organisation, username=username, email=email, password=password
            )
        except PortalUserError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{user.username}: supplier user of {organisation}")
