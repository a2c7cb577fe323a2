from __future__ import annotations


class PaymentError(Exception):
    """A payment action refused, with the reason in French. `kind`: "invalid", "forbidden",
    "state", "four_eyes", "lines" (see `line_errors`: expense line id → message), "nothing"…"""

    def __init__(
        self, message: str, *, kind: str = "invalid", line_errors: dict[int, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.line_errors = line_errors or {}
