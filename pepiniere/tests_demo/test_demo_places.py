"""The demo's organisations are where they say they are: commune, département and the place a
name mentions agree (a « Pau » structure filed under Gironde makes a reader doubt every figure)."""

from pepiniere.organisations.models import Organisation
from pepiniere.tests_demo.conftest import DEMO

pytestmark = DEMO

# Places a demo name may mention, and their département.
PLACES = {
    "Pau": "64",
    "Béarn": "64",
    "Bayonne": "64",
    "Biarritz": "64",
    "Anglet": "64",
    "Landes": "40",
    "Landais": "40",
    "Dax": "40",
    "Agen": "47",
    "Marmandaise": "47",
    "Bordeaux": "33",
    "Pessac": "33",
    "Talence": "33",
    "Mérignac": "33",
    "Périgueux": "24",
    "Bergeracois": "24",
}


def test_every_demo_organisation_s_commune_is_in_its_departement_and_its_name_agrees(demo):
    organisations = list(Organisation.objects.all())
    assert len(organisations) >= 45
    wrong = [
        f"{o.name}: {o.commune_code} {o.commune_name} filed under {o.departement_id}"
        for o in organisations
        if not (o.commune_code and o.commune_code.startswith(o.departement_id))
    ]
    for o in organisations:
        words = o.name.replace("'", " ").split()
        for place, code in PLACES.items():
            if place in words and o.departement_id != code:
                wrong.append(
                    f"{o.name} names {place} ({code}) but is filed under {o.departement_id}"
                )
        for word in words:
            if word.isdigit() and len(word) == 2 and word != o.departement_id:
                wrong.append(f"{o.name} names département {word}, filed under {o.departement_id}")
    assert not wrong, wrong
