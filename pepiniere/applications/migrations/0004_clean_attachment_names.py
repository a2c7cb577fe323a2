"""Names of files uploaded before names were cleaned (bidi overrides, control characters, paths)
are cleaned the same way, so that no page shows a name that lies about its extension."""

from django.db import migrations


def clean_names(apps, schema_editor):
    from pepiniere.lib.uploads import sanitise_filename

    Attachment = apps.get_model("applications", "Attachment")
    for attachment in Attachment.objects.only("pk", "original_name").iterator(chunk_size=2000):
        cleaned = sanitise_filename(attachment.original_name)
        if cleaned != attachment.original_name:
            Attachment.objects.filter(pk=attachment.pk).update(original_name=cleaned)


class Migration(migrations.Migration):
    dependencies = [("applications", "0003_list_indexes")]

    operations = [migrations.RunPython(clean_names, migrations.RunPython.noop)]
