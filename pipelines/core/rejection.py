"""A whole input rejected, with the check that rejected it and why: raised by the stages that
read a file (intake, decode, pdf, extract), caught in `intake` (a file not read) and once in
`extract.parse_bytes`."""

from __future__ import annotations


class Rejected(Exception):
    """A whole input rejected: `check` names the check, the message is the reason; `n_bytes`,
    the file's size where it was rejected without being read (pipelines/extract/intake.py)."""

    def __init__(self, check: str, reason: str, n_bytes: int = 0):
        super().__init__(reason)
        self.check = check
        self.reason = reason
        self.n_bytes = n_bytes
