"""fetch's checksum promise: a file is accepted only if *every* given digest matches.

Sources may pin both a sha256 and an md5 (docs/DATA.md: both are checked). A file matching one
and not the other must be refused on each of the three ways fetch obtains a file: the network
(here a file:// URL, which urllib streams like an HTTP body), a mirror copy, and a file already at
the destination.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from adago.download import DownloadError, fetch

PAYLOAD = bytes(range(256)) * 64
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()
OTHER = b"a different file of the same kind\n"
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()
OTHER_MD5 = hashlib.md5(OTHER).hexdigest()

# (sha256, md5, accepted): every combination of right and wrong digests, one or both given.
DIGESTS = [
    pytest.param(SHA, MD5, True, id="both-right"),
    pytest.param(SHA, OTHER_MD5, False, id="sha256-right-md5-wrong"),
    pytest.param(OTHER_SHA, MD5, False, id="md5-right-sha256-wrong"),
    pytest.param(OTHER_SHA, OTHER_MD5, False, id="both-wrong"),
    pytest.param(SHA, None, True, id="sha256-only-right"),
    pytest.param(None, MD5, True, id="md5-only-right"),
    pytest.param(OTHER_SHA, None, False, id="sha256-only-wrong"),
    pytest.param(None, OTHER_MD5, False, id="md5-only-wrong"),
]


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "origin" / "data.bin"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    return src


def _check(dest: Path, accepted: bool, call) -> None:
    if accepted:
        assert call() == dest and dest.read_bytes() == PAYLOAD
    else:
        with pytest.raises(DownloadError, match="wrong checksum"):
            call()
        assert not dest.exists()
        assert [p.name for p in dest.parent.iterdir()] == [], "a temporary file was left behind"


@pytest.mark.parametrize("sha256, md5, accepted", DIGESTS)
def test_download_is_accepted_only_if_every_given_digest_matches(tmp_path, sha256, md5, accepted):
    url = _source(tmp_path).as_uri()
    dest = tmp_path / "out" / "data.bin"
    dest.parent.mkdir()
    _check(dest, accepted, lambda: fetch(url, dest, sha256=sha256, md5=md5))


@pytest.mark.parametrize("sha256, md5, accepted", DIGESTS)
def test_mirror_copy_is_accepted_only_if_every_given_digest_matches(tmp_path, sha256, md5, accepted):
    mirror = _source(tmp_path).parent
    dest = tmp_path / "out" / "data.bin"
    dest.parent.mkdir()
    url = "http://127.0.0.1:9/data.bin"  # never contacted: the mirror has the file
    _check(dest, accepted, lambda: fetch(url, dest, sha256=sha256, md5=md5, mirror=mirror))


@pytest.mark.parametrize("sha256, md5, accepted", DIGESTS)
def test_existing_file_is_kept_only_if_every_given_digest_matches(tmp_path, sha256, md5, accepted):
    dest = tmp_path / "out" / "data.bin"
    dest.parent.mkdir()
    dest.write_bytes(PAYLOAD)
    # A rejected existing file is fetched again; the source has the same content, so that fails too.
    url = _source(tmp_path).as_uri()
    _check(dest, accepted, lambda: fetch(url, dest, sha256=sha256, md5=md5))


def test_the_error_names_the_digest_that_does_not_match(tmp_path):
    url = _source(tmp_path).as_uri()
    with pytest.raises(DownloadError, match=f"expected md5 {OTHER_MD5}, got {MD5}"):
        fetch(url, tmp_path / "a.bin", sha256=SHA, md5=OTHER_MD5)
    with pytest.raises(DownloadError, match=f"expected sha256 {OTHER_SHA}, got {SHA}"):
        fetch(url, tmp_path / "b.bin", sha256=OTHER_SHA, md5=MD5)


def test_digests_are_compared_case_insensitively(tmp_path):
    url = _source(tmp_path).as_uri()
    dest = fetch(url, tmp_path / "x.bin", sha256=SHA.upper(), md5=MD5.upper())
    assert dest.read_bytes() == PAYLOAD


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give sha256= or md5="),
    ({"sha256": SHA[:-1]}, "sha256 must be 64 hex digits"),
    ({"md5": MD5 + "0"}, "md5 must be 32 hex digits"),
    ({"sha256": "g" * 64}, "sha256 must be 64 hex digits"),
    ({"sha256": SHA, "md5": "z" * 32}, "md5 must be 32 hex digits"),
])
def test_malformed_digests_are_refused_before_anything_is_read(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fetch((tmp_path / "missing.bin").as_uri(), tmp_path / "out.bin", **kwargs)
    assert not (tmp_path / "out.bin").exists()
