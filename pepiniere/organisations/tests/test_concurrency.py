"""Simultaneous declarations of one SIRET make one organisation and requests to join it.
Needs real concurrent transactions, so PostgreSQL (SQLite serialises writers anyway)."""

import threading

import pytest
from django.db import connection, connections

from pepiniere.lib.testing.factories import make_user
from pepiniere.organisations import services
from pepiniere.organisations.models import JoinRequest, Organisation
from pepiniere.territories.models import Departement

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_simultaneous_claims_of_one_siret_make_one_organisation():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions")
    people = [make_user() for _ in range(5)]
    departement = Departement.objects.get(code="33")
    barrier = threading.Barrier(len(people))
    errors: list[Exception] = []

    def declare(person) -> None:
        try:
            barrier.wait(timeout=10)
            services.create_organisation(
                actor=person,
                data={
                    "name": f"Structure de {person.email}",
                    "kind": "startup",
                    "siret": "73282932000074",
                    "departement": departement,
                },
            )
        except Exception as error:  # noqa: BLE001 - the test reports what happened
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=declare, args=[p]) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    organisation = Organisation.objects.get()
    owner = organisation.memberships.get().user
    assert {r.user for r in JoinRequest.objects.all()} == set(people) - {owner}
