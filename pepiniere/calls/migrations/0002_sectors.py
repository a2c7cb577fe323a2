import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    Sector = apps.get_model("calls", "Sector")
    with open(DATA / "sectors.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Sector.objects.update_or_create(
                code=row["code"], defaults={"label_fr": row["label_fr"], "label_en": row["label_en"]}
            )


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
