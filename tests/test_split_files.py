"""Split edge cases and saved split files: every malformed part is refused by name, and the same
split always gives the same file (its sha256 is what the manifest pins)."""

from __future__ import annotations

import numpy as np
import pytest

from adago.dataset import from_triples
from adago.download import sha256_file
from adago.splitting import Split, SplitFileError, load_split, make_split, save_split


def _write(path, train, validation=(7,), test=(8,)):
    np.savez(path, train=np.asarray(train), validation=np.asarray(validation), test=np.asarray(test),
             format_version=np.array(1), info_json=np.array("{}"))
    return path


@pytest.mark.parametrize("train, message", [
    (np.array([0, 1, 1, 2]), "sorted, unique"),          # a repeated index within one part
    (np.array([-1, 0, 1]), "sorted, unique and >= 0"),    # a negative first index
    (np.array([-3, -2]), "sorted, unique and >= 0"),      # all negative
    (np.array([0, 1], dtype=np.int32), "1-D int64"),      # another integer type
    (np.array([0.0, 1.0]), "1-D int64"),
    (np.array([[0, 1], [2, 3]]), "1-D int64"),
    (np.array(3), "1-D int64"),
])
def test_load_split_refuses_malformed_parts_naming_the_part(tmp_path, train, message):
    path = _write(tmp_path / "bad.npz", train)
    with pytest.raises(SplitFileError, match=f"bad.npz: train.*{message}"):
        load_split(path)


def test_load_split_refuses_any_other_checksum(tmp_path):
    save_split(tmp_path / "s.npz", Split(np.arange(3), np.arange(3, 4), np.arange(4, 6)))
    actual = sha256_file(tmp_path / "s.npz")
    for wrong in ("0" * 64, "f" * 64, actual[:-1] + ("0" if actual[-1] != "0" else "1")):
        with pytest.raises(SplitFileError, match="checksum mismatch"):
            load_split(tmp_path / "s.npz", expected_sha256=wrong)
    assert load_split(tmp_path / "s.npz", expected_sha256=actual.upper()).train.tolist() == [0, 1, 2]


def test_the_same_split_gives_the_same_file_whatever_the_order_of_its_info(tmp_path):
    parts = np.arange(3), np.arange(3, 4), np.arange(4, 6)
    a = save_split(tmp_path / "a.npz", Split(*parts, info={"seed": 1, "cold_start": "drop", "kind": "random"}))
    b = save_split(tmp_path / "b.npz", Split(*parts, info={"kind": "random", "cold_start": "drop", "seed": 1}))
    assert a["sha256"] == b["sha256"]


def test_checksum_arguments_are_keyword_only(tmp_path):
    split = Split(np.arange(3), np.arange(3, 4), np.arange(4, 6))
    with pytest.raises(TypeError):
        save_split(tmp_path / "s.npz", split, "ab" * 32)
    save_split(tmp_path / "s.npz", split)
    with pytest.raises(TypeError):
        load_split(tmp_path / "s.npz", sha256_file(tmp_path / "s.npz"))


@pytest.mark.parametrize("n", [3, 7, 11])
def test_ratios_that_round_past_the_total_still_partition_every_entry(n):
    # round(0.5 n) (half to even) + round(0.5 n) = n + 1 for these n: validation gets what train leaves.
    assert 2 * round(0.5 * n) == n + 1
    d = from_triples(np.arange(n), np.zeros(n, int), np.ones(n), rating_range=(1, 5))
    s = make_split(d, seed=0, ratios=(0.5, 0.5, 0.0), cold_start="keep")
    counts = s.counts()
    assert counts["train"] == round(0.5 * n) and counts["test"] == 0
    assert counts["train"] + counts["validation"] == n
    assert sorted(np.concatenate([s.train, s.validation]).tolist()) == list(range(n))


@pytest.mark.parametrize("version", [0, 2])
def test_load_split_refuses_another_format_version(tmp_path, version):
    np.savez(tmp_path / "v.npz", train=np.arange(2), validation=np.arange(2, 3), test=np.arange(3, 4),
             format_version=np.array(version), info_json=np.array("{}"))
    with pytest.raises(SplitFileError, match=f"v.npz: split format {version}, this code reads 1"):
        load_split(tmp_path / "v.npz")


@pytest.mark.parametrize("ratios", [(0.5, 0.2, 0.2, 0.1), (0.5, 0.5)])
def test_ratios_must_be_exactly_three(ratios):
    d = from_triples(np.arange(10), np.zeros(10, int), np.ones(10), rating_range=(1, 5))
    with pytest.raises(ValueError, match="ratios must be three"):
        make_split(d, seed=0, ratios=ratios)


def test_make_split_takes_its_options_by_keyword_only():
    d = from_triples(np.arange(10), np.zeros(10, int), np.ones(10), rating_range=(1, 5))
    with pytest.raises(TypeError):
        make_split(d, 0)
