"""A whole input rejected, with the check that rejected it and why: raised by the stages that
read a file (decode, pdf, extract), caught once in `extract.parse_bytes`."""

from __future__ import annotations


class Rejected(Exception):
    """A whole input rejected: `check` names the check, the message is the reason."""

    def __init__(self, check: str, reason: str):
        super().__init__(reason)
        self.check = check
        self.reason = reason
