from django.core.management.base import BaseCommand, CommandError

from portal.services import PortalUserError, api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print it once, alone on one line of stdout. Only a "
        "digest is stored: the token cannot be shown again, so hand it over now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--replace", action="store_true", help="delete the user's other tokens")

    def handle(self, *args, username, replace, **options):
        try:
            token = api_token_create(username=username, replace=replace)
        except PortalUserError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(token)
