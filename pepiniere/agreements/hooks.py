"""Where later stages plug into the agreements (lifecycle = import order): payments registers its
providers in its AppConfig.ready().

- ``version_signed``: called inside the signing transaction as
  ``provider(version=..., actor=..., now=...)`` when a version becomes fully signed (number 1:
  the instalments are created; number > 1, an amendment: the instalments not yet requested are
  planned again).
- ``agreement_terminated``: called inside the termination transaction as
  ``provider(agreement=..., actor=..., now=..., reason=...)`` (unpaid instalments cancelled, the
  unpaid commitment released, a recovery raised for what was paid beyond what is justified)."""

from __future__ import annotations

from collections.abc import Callable

from pepiniere.lib.extension import ExtensionPoint

version_signed: ExtensionPoint[Callable[..., None]] = ExtensionPoint("agreement version signed")
agreement_terminated: ExtensionPoint[Callable[..., None]] = ExtensionPoint("agreement terminated")
