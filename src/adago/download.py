"""Fetch the raw data files with a checksum check, from a local mirror or the network, atomically.

:func:`fetch` is the only way the workflow obtains a raw file. Its guarantees:

* a file at ``dest`` always has the expected checksum: the content is streamed to a temporary file
  beside ``dest`` (``adago.atomic.atomic_path``), hashed on the way, and renamed only when the
  checksum matches; on any failure neither ``dest`` nor a temporary file is left behind;
* a ``dest`` that already has the right checksum is kept (offline re-runs cost nothing); one with a
  wrong checksum is removed and fetched again;
* a mirror directory (laid out like ``/work/shared/data``: ``douban/training_test_dataset.mat``,
  ``ml1m/ml-1m.zip``) is read first when it holds the file. A mirror file with the wrong checksum is an
  error, not a reason to fall back to the network: a corrupt mirror should be repaired, not hidden,
  and on an offline compute node the fallback could only fail less clearly;
* every failure raises :class:`DownloadError` naming the URL (and mirror file), the expected and
  actual checksum or the cause.

Zip members are extracted with :func:`extract_member` / :func:`safe_extract`, which refuse absolute
paths, drive letters and ``..`` components ("zip slip") before writing anything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from adago.atomic import atomic_path
from adago.checksums import file_digest, sha256_file  # noqa: F401 (part of this module's API)

log = logging.getLogger(__name__)

CHUNK = 1 << 20
MIRROR_ENV = "ADAGO_MIRROR"
_MIRROR_HINT = (
    f"To work offline, set the environment variable {MIRROR_ENV} (or the workflow config key `mirror`) "
    "to a directory holding a copy, laid out like <mirror>/douban/training_test_dataset.mat, "
    "<mirror>/ml1m/ml-1m.zip"
)
_HTML_PREFIXES = (b"<!doctype html", b"<html")


class DownloadError(RuntimeError):
    """A file could not be obtained with the expected checksum; nothing was left at the destination."""


class ArchiveError(RuntimeError):
    """A zip archive is unreadable or lacks the requested member."""


class UnsafeArchiveError(ArchiveError):
    """A zip member would be written outside the target directory (absolute path, drive, '..')."""


# --------------------------------------------------------------------------------------------------
# checksums


class _Hashes:
    """sha256 and/or md5 computed in one pass, compared against the expected hex digests."""

    def __init__(self, sha256: str | None, md5: str | None):
        self.expected = {k: v.lower() for k, v in (("sha256", sha256), ("md5", md5)) if v}
        self._h = {k: hashlib.new(k) for k in self.expected}

    def update(self, chunk: bytes) -> None:
        for h in self._h.values():
            h.update(chunk)

    def mismatch(self) -> str | None:
        """None if every digest matches, else 'expected sha256 X, got Y'."""
        for name, want in self.expected.items():
            got = self._h[name].hexdigest()
            if got != want:
                return f"expected {name} {want}, got {got}"
        return None


def _check_digest_args(sha256: str | None, md5: str | None) -> None:
    if not (sha256 or md5):
        raise ValueError("fetch needs an expected checksum: give sha256= or md5=")
    for name, value, n in (("sha256", sha256, 64), ("md5", md5, 32)):
        if value and not re.fullmatch(rf"[0-9a-fA-F]{{{n}}}", value):
            raise ValueError(f"{name} must be {n} hex digits, got {value!r}")


def _matches(path: Path, sha256: str | None, md5: str | None) -> bool:
    hashes = _Hashes(sha256, md5)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            hashes.update(chunk)
    return hashes.mismatch() is None


def _looks_like_html(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML_PREFIXES)


# --------------------------------------------------------------------------------------------------
# fetch


def fetch(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    mirror: str | os.PathLike | None = None,
    mirror_relpath: str | None = None,
    timeout: float = 60,
) -> Path:
    """Make ``dest`` a copy of ``url`` whose checksum(s) match; return ``dest`` as a Path.

    sha256, md5 : expected hex digests; at least one is required, both are checked if given.
    mirror : a directory read before the network; ``mirror_relpath`` is the file's path inside it
        (default: the last component of the URL path).
    timeout : seconds for connecting and for each read.
    Raises DownloadError (a RuntimeError) on any failure, with no file left at ``dest``;
    ValueError for malformed checksum arguments.
    """
    _check_digest_args(sha256, md5)
    dest = Path(dest)
    if dest.is_file():
        if _matches(dest, sha256, md5):
            log.info("%s: present with the expected checksum, kept", dest)
            return dest
        log.warning("%s: present but with a wrong checksum; removing it and fetching again", dest)
        dest.unlink()

    mirror_file = None
    if mirror is not None:
        relpath = mirror_relpath or posixpath.basename(urllib.parse.urlparse(url).path)
        mirror_file = Path(mirror) / relpath
        if mirror_file.is_file():
            _copy_from_mirror(url, mirror_file, dest, sha256, md5)
            log.info("%s: copied from mirror %s, checksum ok", dest, mirror_file)
            return dest
        log.info("mirror has no %s; downloading %s", mirror_file, url)
    _download(url, dest, sha256, md5, timeout, mirror_file)
    log.info("%s: downloaded from %s, checksum ok", dest, url)
    return dest


def _copy_from_mirror(url: str, src: Path, dest: Path, sha256, md5) -> None:
    hashes = _Hashes(sha256, md5)
    head = b""
    try:
        with atomic_path(dest) as tmp, open(src, "rb") as fin, open(tmp, "wb") as fout:
            for chunk in iter(lambda: fin.read(CHUNK), b""):
                head = head or chunk[:64]
                hashes.update(chunk)
                fout.write(chunk)
            fout.flush()
            problem = hashes.mismatch()
            if problem:
                hint = " (it starts like an HTML page)" if _looks_like_html(head) else ""
                raise DownloadError(
                    f"mirror file {src} (for {url}) has the wrong checksum: {problem}{hint}. "
                    f"Replace the mirror copy; the network is not tried, so a corrupt mirror is not hidden"
                )
    except OSError as exc:
        raise DownloadError(f"cannot copy mirror file {src} (for {url}): {exc}") from exc


def _download(url: str, dest: Path, sha256, md5, timeout: float, mirror_file: Path | None) -> None:
    where = f" (mirror checked: no file {mirror_file})" if mirror_file is not None else ""
    hint = "" if mirror_file is not None else f". {_MIRROR_HINT}"
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as fout:
                _stream(url, resp, fout, sha256, md5)
    except DownloadError as exc:
        raise DownloadError(f"{exc}{where}") from None
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}{where}{hint}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"cannot download {url}: {exc.reason}{where}{hint}") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, IncompleteRead, malformed URL
        raise DownloadError(f"cannot download {url}: {type(exc).__name__}: {exc}{where}{hint}") from None


def _stream(url: str, resp, fout, sha256, md5) -> None:
    """Copy the HTTP body to ``fout`` while hashing; raise DownloadError if it is not the data."""
    ctype = (resp.headers.get("Content-Type") or "").lower()
    if ctype.startswith("text/html"):
        raise DownloadError(
            f"cannot download {url}: server returned an HTML page, not the data file (Content-Type {ctype})"
        )
    length = resp.headers.get("Content-Length")
    expected_len = int(length) if length and length.isdigit() else None
    hashes, received, head = _Hashes(sha256, md5), 0, b""
    for chunk in iter(lambda: resp.read(CHUNK), b""):
        if not head:
            head = chunk[:64]
            if _looks_like_html(head):
                raise DownloadError(f"cannot download {url}: server returned an HTML page, not the data file")
        hashes.update(chunk)
        fout.write(chunk)
        received += len(chunk)
    if expected_len is not None and received != expected_len:
        raise DownloadError(
            f"cannot download {url}: truncated, received {received} of {expected_len} bytes (Content-Length)"
        )
    problem = hashes.mismatch()
    if problem:
        raise DownloadError(f"downloaded {url} has the wrong checksum: {problem} ({received} bytes)")


# --------------------------------------------------------------------------------------------------
# zip extraction


def _safe_member_path(zip_path: Path, name: str) -> str:
    """The member's normalised relative path; UnsafeArchiveError if it could leave the target."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise UnsafeArchiveError(f"{zip_path}: member {name!r} has an absolute path; refusing to extract")
    norm = posixpath.normpath(unified)
    if norm == ".." or norm.startswith("../"):
        raise UnsafeArchiveError(
            f"{zip_path}: member {name!r} would be written outside the target directory ('..'); refusing to extract"
        )
    return norm


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{zip_path}: not a readable zip file: {exc}") from None


def extract_member(zip_path: str | os.PathLike, member: str, dest: str | os.PathLike) -> Path:
    """Write one member of ``zip_path`` to the file ``dest`` atomically; return ``dest``.

    Raises UnsafeArchiveError for an absolute or '..' member name, ArchiveError if the zip is
    unreadable, the member is missing, or its CRC is wrong.
    """
    zip_path, dest = Path(zip_path), Path(dest)
    _safe_member_path(zip_path, member)
    with _open_zip(zip_path) as zf:
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise ArchiveError(f"{zip_path}: no member {member!r}") from None
        try:
            with atomic_path(dest) as tmp, zf.open(info) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
        except zipfile.BadZipFile as exc:  # CRC mismatch is detected at the end of the read
            raise ArchiveError(f"{zip_path}: member {member!r} is corrupt: {exc}") from None
    return dest


def safe_extract(zip_path: str | os.PathLike, dest_dir: str | os.PathLike) -> list[Path]:
    """Extract every member into ``dest_dir`` after checking all names; return the files written.

    Atomic: members go to a temporary directory beside ``dest_dir`` which then replaces it, so
    ``dest_dir`` is either the old content or the complete new one. Raises UnsafeArchiveError
    (before anything is written) if any member could land outside ``dest_dir``.
    """
    zip_path, dest_dir = Path(zip_path), Path(dest_dir)
    with _open_zip(zip_path) as zf:
        infos = zf.infolist()
        names = [_safe_member_path(zip_path, i.filename) for i in infos]  # check all before writing
        dest_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir = Path(tempfile.mkdtemp(prefix=f".tmp-{dest_dir.name}-", dir=dest_dir.parent))
        try:
            written = []
            for info, rel in zip(infos, names):
                target = tmp_dir / rel
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
                written.append(dest_dir / rel)
            _replace_dir(tmp_dir, dest_dir)
        except BaseException as exc:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            if isinstance(exc, zipfile.BadZipFile):
                raise ArchiveError(f"{zip_path}: corrupt member: {exc}") from None
            raise
    return written


def _replace_dir(new: Path, dest: Path) -> None:
    # A non-empty directory cannot be replaced by os.replace: move the old one aside first.
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".old-{dest.name}-", dir=dest.parent))
        os.replace(dest, old / dest.name)
        os.replace(new, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, dest)
