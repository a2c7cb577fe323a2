import pytest
from django.db import connection
from django.db.backends.base import creation
from django.contrib.sessions.models import Session
from pepiniere.territories.models import Departement
from pepiniere.lib.testing.factories import make_user, make_organisation
from pepiniere.tests_browser.conftest import login, db

orig = creation.BaseDatabaseCreation.deserialize_db_from_string
def patched(self, data):
    print("DESER", len(data), id(self.connection), flush=True)
    try:
        orig(self, data)
    except BaseException as e:
        print("DESER ERR", repr(e)); raise
    from pepiniere.territories.models import Departement
    print("after deser", Departement.objects.count(), flush=True)
creation.BaseDatabaseCreation.deserialize_db_from_string = patched

@pytest.mark.parametrize("n", [1, 2, 3])
def test_probe(n, page, live_server):
    print("N", n, Departement.objects.count(), id(connection._connections.default if hasattr(connection, '_connections') else connection), flush=True)
    u = make_user()
    if n == 1:
        login(page, live_server, u.email, "secret-pass-123")
