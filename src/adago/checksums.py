"""Checksums of files: what downloads are verified against and what split manifests record.

A module of its own (not part of :mod:`adago.download`) because training and the data steps need
the checksum but not the downloader: a rule's code dependencies are the modules its script imports
(:mod:`adago.codedeps`), so an edit to the downloader must not re-run every training job.
"""

from __future__ import annotations

import hashlib
import os

CHUNK = 1 << 20


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file."""
    return file_digest(path, "sha256")
