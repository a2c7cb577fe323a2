"""`pepiniere publish_opendata` (daily, from cron): a new publication of every funder whose open
data changed since its last one; one line per funder published, and the count of the others."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pepiniere.opendata import services
from pepiniere.programmes.models import Funder


class Command(BaseCommand):
    help = "Publie les données ouvertes des financeurs dont les données ont changé."

    def handle(self, *args: Any, **options: Any) -> None:
        made = services.publish_all()
        for publication in made:
            self.stdout.write(
                f"{publication.funder.name} : {publication.lines} ligne(s) publiée(s)"
            )
        unchanged = Funder.objects.exclude(siret="").count() - len(made)
        self.stdout.write(f"Financeur(s) sans changement : {unchanged}")
