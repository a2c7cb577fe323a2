import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    Region = apps.get_model("territories", "Region")
    Departement = apps.get_model("territories", "Departement")
    with open(DATA / "regions.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Region.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})
    with open(DATA / "departements.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Departement.objects.update_or_create(
                code=row["code"], defaults={"name": row["name"], "region_id": row["region_code"]}
            )


class Migration(migrations.Migration):
    dependencies = [("territories", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
