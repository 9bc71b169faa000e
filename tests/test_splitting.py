"""adago.splitting: ratios, disjointness, determinism, the fixed Douban-style split, cold start, files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adago.dataset import from_triples
from adago.download import sha256_file
from adago.splitting import (
    ColdStartError,
    Split,
    SplitFileError,
    load_split,
    make_split,
    save_split,
    write_manifest,
)


def _dense_data(n_users=60, n_items=50, density=0.5, seed=0, fixed_test_share=None):
    """A random rating matrix dense enough that a 70/10/20 split leaves no cold entries."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_users, n_items)) < density
    u, i = np.nonzero(mask)
    r = rng.integers(1, 6, len(u)).astype(float)
    fixed = None if fixed_test_share is None else rng.random(len(u)) < fixed_test_share
    return from_triples(u, i, r, rating_range=(1, 5), fixed_test=fixed)


def _cold_data(fixed=False):
    """Users 0-19 and items 0-9 are well populated; user 20 and item 10 have exactly one rating each."""
    u, i = np.meshgrid(np.arange(20), np.arange(10), indexing="ij")
    u, i = list(u.ravel()), list(i.ravel())
    u += [20, 0]
    i += [0, 10]
    fixed_test = None
    if fixed:  # the single ratings of user 20 and item 10 are test entries in the file
        fixed_test = np.zeros(len(u), bool)
        fixed_test[-2:] = True
        grid = np.arange(200)
        fixed_test[:200] = grid % 10 == (grid // 10) % 10  # one test entry per user, two per item
    return from_triples(np.array(u), np.array(i), np.ones(len(u)) * 3, rating_range=(1, 5), fixed_test=fixed_test)


def _assert_partition(split: Split, n: int, dropped: int = 0):
    parts = [split.train, split.validation, split.test]
    for a in parts:
        assert a.dtype == np.int64 and np.all(np.diff(a) > 0)
    merged = np.concatenate(parts)
    assert len(np.unique(merged)) == len(merged), "parts overlap"
    assert len(merged) == n - dropped and merged.min() >= 0 and merged.max() < n


@pytest.mark.parametrize("ratios", [(0.7, 0.1, 0.2), (0.6, 0.2, 0.2), (0.8, 0.0, 0.2)])
def test_random_split_respects_ratios_within_one_entry_and_partitions(ratios):
    d = _dense_data()
    s = make_split(d, seed=1, ratios=ratios, cold_start="keep")
    n = d.n_ratings
    for part, r in zip((s.train, s.validation, s.test), ratios):
        assert abs(len(part) - r * n) <= 1
    _assert_partition(s, n)
    assert s.info["counts"] == s.counts() and s.info["kind"] == "random"


def test_same_seed_gives_identical_split_and_different_seeds_differ():
    d = _dense_data()
    a, b, c = (make_split(d, seed=s) for s in (7, 7, 8))
    for name in ("train", "validation", "test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.test, c.test)


@pytest.mark.parametrize(
    "ratios", [(0.7, 0.1, 0.1), (0.7, 0.4, -0.1), (0.0, 0.5, 0.5), (0.5, 0.5), ("a", 0, 1), (0.7, 0.1, float("nan"))]
)
def test_bad_ratios_are_rejected_naming_the_key(ratios):
    with pytest.raises(ValueError, match="ratios"):
        make_split(_dense_data(), seed=0, ratios=ratios)


def test_bad_validation_fraction_and_policy_are_rejected():
    with pytest.raises(ValueError, match="validation_fraction"):
        make_split(_dense_data(fixed_test_share=0.1), seed=0, validation_fraction=1.0)
    with pytest.raises(ValueError, match="cold_start"):
        make_split(_dense_data(), seed=0, cold_start="ignore")


def test_fixed_split_keeps_the_files_test_entries_exactly():
    d = _dense_data(fixed_test_share=0.1)
    s = make_split(d, seed=3, validation_fraction=0.1)
    np.testing.assert_array_equal(s.test, np.flatnonzero(d.fixed_test))
    n_file_train = int((~d.fixed_test).sum())
    assert abs(len(s.validation) - 0.1 * n_file_train) <= 1
    assert not d.fixed_test[s.validation].any() and not d.fixed_test[s.train].any()
    _assert_partition(s, d.n_ratings)
    assert s.info["kind"] == "fixed-test"
    other = make_split(d, seed=4, validation_fraction=0.1)
    np.testing.assert_array_equal(other.test, s.test)
    assert not np.array_equal(other.validation, s.validation)


def test_fixed_split_ignores_ratios():
    d = _dense_data(fixed_test_share=0.1)
    s = make_split(d, seed=3, ratios=(0.5, 0.25, 0.25))
    np.testing.assert_array_equal(s.test, np.flatnonzero(d.fixed_test))


def test_cold_start_drop_removes_cold_entries_and_counts_them():
    d = _cold_data(fixed=True)
    s = make_split(d, seed=0, validation_fraction=0.0)
    assert s.info["dropped_test"] == 2 and s.info["dropped_validation"] == 0
    assert len(s.test) == 20
    _assert_partition(s, d.n_ratings, dropped=2)
    _assert_no_cold(d, s)


def test_cold_start_move_to_train_moves_them_and_loses_nothing():
    d = _cold_data(fixed=True)
    s = make_split(d, seed=0, validation_fraction=0.0, cold_start="move-to-train")
    assert s.info["moved_test"] == 2 and len(s.test) == 20 and len(s.train) == 182
    _assert_partition(s, d.n_ratings)
    _assert_no_cold(d, s)


def test_cold_start_keep_leaves_them_and_counts_them():
    d = _cold_data(fixed=True)
    s = make_split(d, seed=0, validation_fraction=0.0, cold_start="keep")
    np.testing.assert_array_equal(s.test, np.flatnonzero(d.fixed_test))
    assert s.info["cold_test"] == 2


def test_cold_start_error_raises_with_counts():
    with pytest.raises(ColdStartError, match="0 validation and 2 test entries"):
        make_split(_cold_data(fixed=True), seed=0, validation_fraction=0.0, cold_start="error")


def test_random_split_drop_leaves_no_cold_entries():
    d = _dense_data(n_users=40, n_items=300, density=0.03)  # sparse: some cold entries are certain
    s = make_split(d, seed=0)
    assert s.info["dropped_validation"] + s.info["dropped_test"] > 0
    _assert_partition(s, d.n_ratings, dropped=s.info["dropped_validation"] + s.info["dropped_test"])
    _assert_no_cold(d, s)


def _assert_no_cold(d, s):
    assert np.isin(d.user[s.validation], d.user[s.train]).all()
    assert np.isin(d.user[s.test], d.user[s.train]).all()
    assert np.isin(d.item[s.test], d.item[s.train]).all()


# ------------------------------------------------------------------------------------------------
# files


def test_save_load_roundtrip_with_manifest_checksum(tmp_path):
    s = make_split(_dense_data(), seed=5)
    manifest = save_split(tmp_path / "split.npz", s, source_sha256="ab" * 32)
    assert manifest["sha256"] == sha256_file(tmp_path / "split.npz")
    assert manifest["counts"] == s.counts() and manifest["seed"] == 5
    assert manifest["source_sha256"] == "ab" * 32
    write_manifest(tmp_path / "split.json", manifest)
    assert json.loads((tmp_path / "split.json").read_text()) == json.loads(json.dumps(manifest))
    back = load_split(tmp_path / "split.npz", expected_sha256=manifest["sha256"])
    for name in ("train", "validation", "test"):
        np.testing.assert_array_equal(getattr(back, name), getattr(s, name))
    assert back.info["seed"] == 5 and back.info["source_sha256"] == "ab" * 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split.json", "split.npz"]


def test_load_split_checksum_mismatch_names_the_file(tmp_path):
    save_split(tmp_path / "split.npz", make_split(_dense_data(), seed=5))
    with pytest.raises(SplitFileError, match=r"split\.npz: checksum mismatch: expected sha256 0{64}, got"):
        load_split(tmp_path / "split.npz", expected_sha256="0" * 64)


def test_load_split_refuses_object_arrays(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, train=np.array([1, "x"], dtype=object), validation=np.arange(1), test=np.arange(1),
             format_version=np.array(1), info_json=np.array("{}"))
    with pytest.raises(SplitFileError, match=r"evil\.npz: refused to load: .*allow_pickle"):
        load_split(p)


def test_load_split_rejects_overlapping_or_unsorted_parts(tmp_path):
    p = tmp_path / "bad.npz"
    np.savez(p, train=np.array([0, 1]), validation=np.array([1]), test=np.array([2]),
             format_version=np.array(1), info_json=np.array("{}"))
    with pytest.raises(SplitFileError, match="overlap"):
        load_split(p)
    np.savez(p, train=np.array([1, 0]), validation=np.array([2]), test=np.array([3]),
             format_version=np.array(1), info_json=np.array("{}"))
    with pytest.raises(SplitFileError, match="sorted"):
        load_split(p)


def test_real_douban_fixed_split_keeps_all_13689_test_entries():
    import os
    from pathlib import Path

    from adago.readers import read_ratings

    rel = "douban/training_test_dataset.mat"
    roots = [os.environ.get("ADAGO_MIRROR"), Path(__file__).resolve().parents[1].parent / "shared/data"]
    path = next((Path(r) / rel for r in roots if r and (Path(r) / rel).is_file()), None)
    if path is None:
        pytest.skip("Douban file not available (set ADAGO_MIRROR)")
    d = read_ratings(path, "monti-mat")
    s = make_split(d, seed=0)
    assert s.counts() == {"train": 110_882, "validation": 12_320, "test": 13_689}
    assert s.info["dropped_test"] == 0 and s.info["dropped_validation"] == 0
