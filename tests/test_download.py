"""adago.download: checksummed fetch over a real local HTTP server, mirrors, and safe zip extraction."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from adago.download import (
    ArchiveError,
    DownloadError,
    UnsafeArchiveError,
    extract_member,
    fetch,
    safe_extract,
    sha256_file,
)
from adago.sources import SOURCES, fetch_source, resolve_mirror

PAYLOAD = bytes(range(256)) * 400  # 100 kB, binary, not HTML
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()
WRONG = "0" * 64
HTML = b"<!DOCTYPE html>\n<html><body>Rate limit exceeded</body></html>\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves a few fixed behaviours by path."""

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path == "/data.bin":
            self._send(200, PAYLOAD, "application/octet-stream")
        elif self.path == "/truncated.bin":  # promises more than it sends, then closes
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
            self.close_connection = True
        elif self.path == "/html-as-binary.bin":  # an error page sent with a data content type
            self._send(200, HTML, "application/octet-stream")
        elif self.path == "/html.bin":
            self._send(200, HTML, "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    return f"http://127.0.0.1:{port}/data.bin"


def _only(dir_: Path) -> list[str]:
    """Every entry left in dir_, including hidden temporary files."""
    return sorted(p.name for p in dir_.iterdir())


def test_fetch_downloads_and_verifies_sha256(server, tmp_path):
    dest = fetch(f"{server}/data.bin", tmp_path / "d" / "data.bin", sha256=SHA)
    assert dest.read_bytes() == PAYLOAD
    assert _only(tmp_path / "d") == ["data.bin"]


def test_fetch_verifies_md5_only(server, tmp_path):
    dest = fetch(f"{server}/data.bin", tmp_path / "data.bin", md5=MD5)
    assert dest.read_bytes() == PAYLOAD


def test_fetch_requires_a_checksum(server, tmp_path):
    with pytest.raises(ValueError, match="sha256= or md5="):
        fetch(f"{server}/data.bin", tmp_path / "data.bin")


def test_wrong_checksum_names_url_and_both_digests_and_leaves_nothing(server, tmp_path):
    url = f"{server}/data.bin"
    with pytest.raises(DownloadError) as exc:
        fetch(url, tmp_path / "data.bin", sha256=WRONG)
    msg = str(exc.value)
    assert url in msg and WRONG in msg and SHA in msg
    assert _only(tmp_path) == []


def test_wrong_md5_reports_md5(server, tmp_path):
    with pytest.raises(DownloadError, match=f"expected md5 {'f' * 32}, got {MD5}"):
        fetch(f"{server}/data.bin", tmp_path / "data.bin", md5="f" * 32)
    assert _only(tmp_path) == []


def test_truncated_body_is_reported_and_leaves_nothing(server, tmp_path):
    url = f"{server}/truncated.bin"
    with pytest.raises(DownloadError) as exc:
        fetch(url, tmp_path / "data.bin", sha256=SHA)
    assert url in str(exc.value) and "truncated" in str(exc.value)
    assert f"of {len(PAYLOAD)} bytes" in str(exc.value)
    assert _only(tmp_path) == []


@pytest.mark.parametrize("path", ["/html.bin", "/html-as-binary.bin"])
def test_html_error_page_with_status_200_is_not_saved_as_data(server, tmp_path, path):
    url = f"{server}{path}"
    with pytest.raises(DownloadError) as exc:
        fetch(url, tmp_path / "data.bin", sha256=SHA)
    assert "server returned an HTML page, not the data file" in str(exc.value)
    assert url in str(exc.value)
    assert _only(tmp_path) == []


def test_http_404_names_url_status_and_mirror_hint(server, tmp_path):
    url = f"{server}/missing.bin"
    with pytest.raises(DownloadError) as exc:
        fetch(url, tmp_path / "data.bin", sha256=SHA)
    msg = str(exc.value)
    assert url in msg and "404" in msg and "ADAGO_MIRROR" in msg and "`mirror`" in msg
    assert _only(tmp_path) == []


def test_unreachable_host_names_url_cause_and_mirror_hint(closed_port_url, tmp_path):
    with pytest.raises(DownloadError) as exc:
        fetch(closed_port_url, tmp_path / "data.bin", sha256=SHA, timeout=5)
    msg = str(exc.value)
    assert closed_port_url in msg and "refused" in msg.lower() and "ADAGO_MIRROR" in msg
    assert _only(tmp_path) == []


def test_mirror_hit_is_used_without_network(closed_port_url, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "ds").mkdir(parents=True)
    (mirror / "ds" / "file.bin").write_bytes(PAYLOAD)
    out = tmp_path / "out"
    dest = fetch(closed_port_url, out / "file.bin", sha256=SHA, mirror=mirror, mirror_relpath="ds/file.bin")
    assert dest.read_bytes() == PAYLOAD
    assert _only(out) == ["file.bin"]


def test_mirror_relpath_defaults_to_url_basename(closed_port_url, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "data.bin").write_bytes(PAYLOAD)
    assert fetch(closed_port_url, tmp_path / "o" / "x.bin", md5=MD5, mirror=tmp_path / "m").read_bytes() == PAYLOAD


def test_mirror_with_wrong_checksum_is_an_error_naming_the_mirror_file(server, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    bad = mirror / "data.bin"
    bad.write_bytes(PAYLOAD[:-1])
    out = tmp_path / "out"
    with pytest.raises(DownloadError) as exc:
        # the server would serve the right file: the corrupt mirror must not be papered over
        fetch(f"{server}/data.bin", out / "data.bin", sha256=SHA, mirror=mirror)
    msg = str(exc.value)
    assert str(bad) in msg and SHA in msg and "mirror" in msg
    assert not out.exists() or _only(out) == []


def test_missing_mirror_file_falls_back_to_network_and_names_mirror_on_failure(closed_port_url, tmp_path):
    with pytest.raises(DownloadError) as exc:
        fetch(closed_port_url, tmp_path / "o" / "data.bin", sha256=SHA, mirror=tmp_path, mirror_relpath="x/data.bin")
    assert str(tmp_path / "x" / "data.bin") in str(exc.value)


def test_existing_dest_with_right_checksum_is_kept_without_network(closed_port_url, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(PAYLOAD)
    before = dest.stat().st_mtime_ns
    assert fetch(closed_port_url, dest, sha256=SHA) == dest
    assert dest.stat().st_mtime_ns == before


def test_existing_dest_with_wrong_checksum_is_refetched(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"stale partial file")
    fetch(f"{server}/data.bin", dest, sha256=SHA)
    assert dest.read_bytes() == PAYLOAD


def test_existing_wrong_dest_is_removed_when_refetch_fails(closed_port_url, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"stale")
    with pytest.raises(DownloadError):
        fetch(closed_port_url, dest, sha256=SHA)
    assert _only(tmp_path) == []


def test_sources_registry_has_pinned_checksums_and_formats():
    assert SOURCES["douban"]["sha256"] == "1f4476321cbfe0f606e7e35d0695ca15447a1b0b2c811df130109b6cb9a067ae"
    assert SOURCES["ml1m"]["md5"] == "c4d9eecfca2ab87c1945afe126590906"
    assert SOURCES["ml1m"]["member"] == "ml-1m/ratings.dat"
    assert {s["fmt"] for s in SOURCES.values()} == {"monti-mat", "movielens"}


def test_resolve_mirror_prefers_config_over_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ADAGO_MIRROR", str(tmp_path / "env"))
    assert resolve_mirror(str(tmp_path / "cfg")) == tmp_path / "cfg"
    assert resolve_mirror(None) == tmp_path / "env"
    monkeypatch.delenv("ADAGO_MIRROR")
    assert resolve_mirror(None) is None


def _shared_douban() -> Path | None:
    import os

    roots = [os.environ.get("ADAGO_MIRROR"), Path(__file__).resolve().parents[1].parent / "shared/data"]
    for root in roots:
        if root and (Path(root) / "douban/training_test_dataset.mat").is_file():
            return Path(root)
    return None


@pytest.mark.skipif(_shared_douban() is None, reason="Douban mirror copy not available")
def test_fetch_source_douban_from_shared_mirror_matches_pinned_sha256(tmp_path):
    path = fetch_source("douban", tmp_path, mirror=_shared_douban())
    assert sha256_file(path) == SOURCES["douban"]["sha256"]


# ------------------------------------------------------------------------------------------------
# zip extraction


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name exactly as given
    return path


@pytest.mark.parametrize("evil", ["../evil", "/abs", "a/../../x", "C:/win", "..\\back"])
def test_safe_extract_refuses_members_outside_target_and_writes_nothing(tmp_path, evil):
    z = _zip(tmp_path / "evil.zip", {"ok.txt": b"fine", evil: b"pwned"})
    target = tmp_path / "out" / "target"
    with pytest.raises(UnsafeArchiveError) as exc:
        safe_extract(z, target)
    assert str(z) in str(exc.value) and repr(evil) in str(exc.value)
    assert not target.exists()
    assert not (tmp_path / "evil").exists() and not (tmp_path / "x").exists()
    assert not (tmp_path / "out").exists() or _only(tmp_path / "out") == []


@pytest.mark.parametrize("evil", ["../evil", "/abs", "a/../../x"])
def test_extract_member_refuses_unsafe_member_names(tmp_path, evil):
    z = _zip(tmp_path / "evil.zip", {evil: b"pwned"})
    with pytest.raises(UnsafeArchiveError, match="refusing"):
        extract_member(z, evil, tmp_path / "out" / "x")
    assert not (tmp_path / "out").exists() or _only(tmp_path / "out") == []


def test_safe_extract_allows_inner_dotdot_that_stays_inside(tmp_path):
    z = _zip(tmp_path / "a.zip", {"a/b/../c.txt": b"c", "d/": b""})
    files = safe_extract(z, tmp_path / "t")
    assert files == [tmp_path / "t" / "a" / "c.txt"]
    assert (tmp_path / "t" / "a" / "c.txt").read_bytes() == b"c"


def test_safe_extract_replaces_previous_content_atomically(tmp_path):
    target = tmp_path / "t"
    target.mkdir()
    (target / "old.txt").write_text("old")
    safe_extract(_zip(tmp_path / "a.zip", {"new.txt": b"new"}), target)
    assert _only(target) == ["new.txt"]
    assert _only(tmp_path) == ["a.zip", "t"]


def test_extract_member_writes_exactly_one_member(tmp_path):
    z = _zip(tmp_path / "ml.zip", {"ml-1m/ratings.dat": b"1::1::5::0\n", "ml-1m/users.dat": b"x"})
    out = extract_member(z, "ml-1m/ratings.dat", tmp_path / "raw" / "ratings.dat")
    assert out.read_bytes() == b"1::1::5::0\n"
    assert _only(tmp_path / "raw") == ["ratings.dat"]


def test_extract_member_missing_member_and_bad_zip_raise_archive_error(tmp_path):
    z = _zip(tmp_path / "a.zip", {"x": b"x"})
    with pytest.raises(ArchiveError, match="no member 'y'"):
        extract_member(z, "y", tmp_path / "y")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        extract_member(tmp_path / "bad.zip", "x", tmp_path / "x")


def test_fetch_source_fetches_archive_from_mirror_and_extracts_member(tmp_path, monkeypatch, closed_port_url):
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    z = _zip(mirror / "toy" / "toy.zip", {"toy/ratings.dat": b"1::1::5::0\n"})
    monkeypatch.setitem(SOURCES, "toy", {
        "url": closed_port_url, "sha256": sha256_file(z), "mirror_relpath": "toy/toy.zip",
        "member": "toy/ratings.dat", "fmt": "movielens", "rating_range": (1, 5),
    })
    out = fetch_source("toy", tmp_path / "raw", mirror=mirror)
    assert out == tmp_path / "raw" / "ratings.dat" and out.read_bytes() == b"1::1::5::0\n"
    assert _only(tmp_path / "raw") == ["ratings.dat", "toy.zip"]
    with pytest.raises(ValueError, match="unknown data set 'nope'"):
        fetch_source("nope", tmp_path)


def test_mirror_file_that_is_an_html_page_says_so(tmp_path, closed_port_url):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "data.bin").write_bytes(b"\n  " + HTML)
    with pytest.raises(DownloadError, match="starts like an HTML page"):
        fetch(closed_port_url, tmp_path / "o" / "data.bin", sha256=SHA, mirror=tmp_path / "m")
