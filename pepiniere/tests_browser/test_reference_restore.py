"""The database a live-server test leaves behind is the one the migrations made, primary keys
included, so that a later ``serialized_rollback`` test on the same worker can reload its
serialized rows (it failed in set-up with a duplicate content type before)."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from .conftest import _restore_reference_data


def _by_pk(model):
    return list(
        model.objects.order_by("pk").values_list(
            "pk", *[f.attname for f in model._meta.concrete_fields]
        )
    )


def test_reference_rows_come_back_with_the_primary_keys_the_migrations_gave(_reference_snapshot):
    content_types, permissions = _by_pk(ContentType), _by_pk(Permission)
    assert content_types and permissions
    # What the flush after every live-server test does: empty every table, then post_migrate
    # creates the content types and permissions again (under new keys on PostgreSQL).
    call_command("flush", interactive=False, verbosity=0)
    _restore_reference_data(_reference_snapshot)
    assert _by_pk(ContentType) == content_types
    assert _by_pk(Permission) == permissions
