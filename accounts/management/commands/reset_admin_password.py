from axes.utils import reset
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.activation import admin_password_reset
from accounts.models import Installation


class Command(BaseCommand):
    help = (
        "Give the administrator a new random password and print it (run on the server's shell); "
        "ends the user's sessions and lifts every login lock."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", help="another user than the administrator")

    def handle(self, *args, username=None, **options):
        if not Installation.objects.exists():
            raise CommandError(_("Swarmdeck is not activated yet: open the activation link the server prints."))
        try:
            name, password = admin_password_reset(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("There is no user named {username}.").format(username=username)) from None
        # Locks hold addresses, and which one the owner comes from is unknown here: lift them all.
        reset()
        self.stdout.write(_("New password for {username}: {password}").format(username=name, password=password))
