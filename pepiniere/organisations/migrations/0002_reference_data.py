import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    LegalForm = apps.get_model("organisations", "LegalForm")
    SizeBand = apps.get_model("organisations", "SizeBand")
    with open(DATA / "legal_forms.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            LegalForm.objects.update_or_create(code=row["code"], defaults={"label": row["label"]})
    with open(DATA / "size_bands.csv", encoding="utf-8") as f:
        for position, row in enumerate(csv.DictReader(f)):
            SizeBand.objects.update_or_create(
                code=row["code"],
                defaults={
                    "label": row["label"],
                    "min_employees": int(row["min_employees"]) if row["min_employees"] else None,
                    "max_employees": int(row["max_employees"]) if row["max_employees"] else None,
                    "position": position,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
