from __future__ import annotations

import pytest

from pepiniere.agreements import rendering
from pepiniere.lib.testing.pdf import stand_in_pdf


@pytest.fixture(autouse=True)
def _stand_in_layout(request, monkeypatch):
    """Most agreement tests follow the lifecycle (states, rights, hashes, hooks, e-mails, money),
    not the layout: WeasyPrint is replaced by `stand_in_pdf` (about 0.5 s saved per PDF, two per
    signed version). Everything else is real: the template and the document HTML are rendered,
    the PDF is stored and hashed, the seal is pyHanko's PAdES signature. Tests marked
    ``real_pdf`` lay out the real PDF/A-3b, one at least per path (sent, signed, amended, sealed
    at first download), and validate its seal with pyHanko."""
    if request.node.get_closest_marker("real_pdf") is None:
        monkeypatch.setattr(rendering, "html_to_pdf", stand_in_pdf)
