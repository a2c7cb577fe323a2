"""Every action the code records has a French label: no « decision_letter » on a timeline."""

import re
from pathlib import Path

from django.conf import settings

from pepiniere.applications.workflow import TRANSITIONS
from pepiniere.audit.labels import ACTION_LABELS, action_label, state_label

ROOT = Path(settings.BASE_DIR) / "pepiniere"
LITERAL = re.compile(r'\baction="([a-z_]+)"|_audit\(\s*actor,\s*call,\s*"([a-z_]+)"')
NOT_AUDIT = {"store_true", "store_false", "append", "count"}  # argparse actions


def test_every_recorded_action_has_a_french_label():
    used = set(TRANSITIONS) | {f"{source}_aid" for source in ("award", "declared", "imported")}
    for path in ROOT.rglob("*.py"):
        if "/tests/" in str(path) or "/migrations/" in str(path):
            continue
        text = path.read_text()
        used |= {a or b for a, b in LITERAL.findall(text) if a or b}
        for pair in re.findall(r'action="(\w+)" if \w+ else "(\w+)"', text):
            used |= set(pair)
        used |= set(re.findall(r'"(admin_\w+)"', text))
    missing = sorted(code for code in used if code not in ACTION_LABELS and code not in NOT_AUDIT)
    assert not missing, missing
    assert action_label("decision_letter") == "courrier de décision envoyé"
    assert "decision_letter" not in action_label("submit_review")


def test_states_are_named_by_the_stage_they_belong_to():
    assert state_label("in_review") == "en expertise"
    assert state_label("") == "—"
