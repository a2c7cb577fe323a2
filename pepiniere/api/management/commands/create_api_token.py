from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.accounts.models import User
from pepiniere.api.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user; the key is printed once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("name")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with email {email}.")
        _token, key = ApiToken.issue(user=user, name=name)
        self.stdout.write(key)
