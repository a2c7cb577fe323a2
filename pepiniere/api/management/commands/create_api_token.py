import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pepiniere.accounts.models import User
from pepiniere.api import services
from pepiniere.api.models import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS, TokenScope


class Command(BaseCommand):
    help = (
        "Issue an API token for a user (people make theirs on /compte/); the key is printed once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("name")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_LIFETIME_DAYS,
            help=f"valid for this many days (1 to {MAX_LIFETIME_DAYS})",
        )

    def handle(
        self, *args: Any, email: str, name: str, scope: str, days: int, **options: Any
    ) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with email {email}.")
        try:
            _token, key = services.create_token(
                user=user,
                name=name,
                scope=scope,
                expires_on=timezone.localdate() + datetime.timedelta(days=days),
            )
        except services.TokenError as error:
            raise CommandError(error.message) from None
        self.stdout.write(key)
