"""adago.readers: GroupLens, CSV/TSV and Monti HDF5 files, their errors (file:line) and duplicates."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from adago.dataset import load_ratings, save_ratings
from adago.readers import RatingFileError, read_ratings, read_ratings_report


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _ml(tmp_path, text: str) -> Path:
    return _write(tmp_path / "ratings.dat", text, "latin-1")


# ------------------------------------------------------------------------------------------------
# movielens


def test_movielens_reads_triples_and_remaps_ids(tmp_path):
    p = _ml(tmp_path, "1::10::5::978300760\n1::20::3::978302109\n7::10::4::978301968\n")
    d = read_ratings(p, "movielens")
    assert (d.n_users, d.n_items, d.n_ratings) == (2, 2, 3)
    assert d.user_ids.tolist() == [1, 7] and d.item_ids.tolist() == [10, 20]
    assert d.user.tolist() == [0, 0, 1] and d.item.tolist() == [0, 1, 0]
    assert d.rating.tolist() == [5.0, 3.0, 4.0]
    assert (d.rating_min, d.rating_max) == (1.0, 5.0) and d.fixed_test is None


def test_movielens_ignores_blank_lines_but_counts_them_for_line_numbers(tmp_path):
    p = _ml(tmp_path, "1::1::5::0\n\n2::2::x::0\n")
    with pytest.raises(RatingFileError, match=r"ratings\.dat:3: rating 'x' is not a number"):
        read_ratings(p, "movielens")
    assert read_ratings(_ml(tmp_path, "1::1::5::0\n\n2::2::4::0\n\n"), "movielens").n_ratings == 2


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("1::1::5::0\n2::2::3\n", r":2: expected 4 fields"),
        ("1::1::5::0\n2::2::3::0::9\n", r":2: expected 4 fields .*, got '2::2::3::0::9'"),
        ("1::1::5::0\n2::2::3::0:\n", r":2: expected 4 fields .*, got '2::2::3::0:'"),
        ("1::1::5::0\n1::2::6::0\n", r":2: rating 6 outside the format default range \[1, 5\]"),
        ("1::1::5::0\n1::2::0.5::0\n", r":2: rating 0.5 outside"),
        ("1::1::nan::0\n", r":1: rating missing or NaN"),
        ("1::1::inf::0\n", r":1: rating inf is not finite"),
        ("a::1::5::0\n", r":1: user id 'a' is not an integer"),
        ("1,1,5,0\n", r":1: expected 4 fields"),
        ("", r"empty file, no ratings"),
        ("\n\n", r"empty file, no ratings"),
    ],
)
def test_movielens_bad_input_names_file_and_line(tmp_path, text, pattern):
    p = _ml(tmp_path, text)
    with pytest.raises(RatingFileError, match=pattern) as exc:
        read_ratings(p, "movielens")
    assert str(p) in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_movielens_declared_range_overrides_default(tmp_path):
    p = _ml(tmp_path, "1::1::9::0\n")
    assert read_ratings(p, "movielens", rating_range=(0, 10)).rating_max == 10
    with pytest.raises(RatingFileError, match="declared range"):
        read_ratings(p, "movielens", rating_range=(1, 5.5))


def test_movielens_is_latin1(tmp_path):
    # ratings.dat is pure ASCII, but the other GroupLens files are latin-1: a stray byte must not crash.
    p = tmp_path / "ratings.dat"
    p.write_bytes(b"1::1::5::0\n2::2::4::\xe9\n")
    with pytest.raises(RatingFileError, match=r":2: timestamp .* is not an integer"):
        read_ratings(p, "movielens")


def test_movielens_parses_a_million_lines_quickly(tmp_path):
    n = 300_000  # 30% of ML-1M keeps the suite fast; the full 1,000,209 lines take ~0.3-0.5 s
    rng = np.random.default_rng(0)
    u, i = np.divmod(rng.choice(6040 * 3952, size=n, replace=False), 3952)
    lines = "".join(f"{a + 1}::{b + 1}::{c}::978300760\n" for a, b, c in zip(u, i, rng.integers(1, 6, n)))
    p = _ml(tmp_path, lines)
    t0 = time.perf_counter()
    d = read_ratings(p, "movielens")
    elapsed = time.perf_counter() - t0
    assert d.n_ratings == n
    assert elapsed < 2.0, f"parsing {n} lines took {elapsed:.2f} s"


# ------------------------------------------------------------------------------------------------
# csv / tsv


def test_csv_with_extra_columns_string_ids_and_data_range(tmp_path):
    p = _write(tmp_path / "r.csv", "timestamp,User,item,rating\n5,alice,x,2.5\n6,bob,x,4\n7,alice,y,3\n")
    d, report = read_ratings_report(p, "csv")
    assert d.user_ids.tolist() == ["alice", "bob"] and d.item_ids.tolist() == ["x", "y"]
    assert d.user_ids.dtype.kind == "U"  # savable without pickle
    assert (d.rating_min, d.rating_max) == (2.5, 4.0)
    assert report.rating_range_source == "data"


@pytest.mark.parametrize(("name", "sep"), [("r.tsv", "\t"), ("r.txt", "\t"), ("r.csv", ";"), ("r.csv", ",")])
def test_csv_delimiter_from_extension_or_sniffed(tmp_path, name, sep):
    p = _write(tmp_path / name, sep.join(["user", "item", "rating"]) + "\n" + sep.join(["1", "2", "3"]) + "\n")
    d = read_ratings(p, "csv")
    assert d.user_ids.tolist() == [1] and d.item_ids.tolist() == [2] and d.rating.tolist() == [3.0]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("user,item\n1,2\n", r":1: header .* lacks column\(s\) rating"),
        ("1,2,3\n4,5,6\n", r":1: header .* lacks column\(s\) user, item, rating"),
        ("user,item,rating\n1,2,3\n1,3\n", r":3: expected 3 fields"),
        ("user,item,rating\n1,2,3\n1,3,4,5\n", r":3: expected 3 fields \(','-separated\), got 4: '1,3,4,5'"),
        ("user,item,rating\n1,2,3\n1,3,good\n", r":3: rating 'good' is not a number"),
        ("user,item,rating\n1,2,3\n1,3,NaN\n", r":3: rating missing or NaN"),
        ("user,item,rating\n1,2,3\n1,3,-inf\n", r":3: rating -inf is not finite"),
        ("user,item,rating\n1,2,3\n1,3,\n", r":3: rating missing or NaN"),
        ("user,item,rating\n", r"empty file, no ratings"),
        ("", r"empty file, no ratings"),
    ],
)
def test_csv_bad_input_names_file_and_line(tmp_path, text, pattern):
    p = _write(tmp_path / "r.csv", text)
    with pytest.raises(RatingFileError, match=pattern) as exc:
        read_ratings(p, "csv")
    assert str(p) in str(exc.value)


def test_csv_rating_outside_declared_range_names_line(tmp_path):
    p = _write(tmp_path / "r.csv", "user,item,rating\n1,1,1\n1,2,7\n")
    with pytest.raises(RatingFileError, match=r"r\.csv:3: rating 7 outside the declared range \[1, 5\]"):
        read_ratings(p, "csv", rating_range=(1, 5))


# ------------------------------------------------------------------------------------------------
# duplicates

DUP = "user,item,rating\n1,1,1\n1,2,2\n1,1,3\n2,1,4\n1,1,5\n"


def test_duplicates_are_an_error_by_default_naming_both_lines(tmp_path):
    p = _write(tmp_path / "r.csv", DUP)
    with pytest.raises(RatingFileError, match=r"r\.csv:4: duplicate rating .* \(first at line 2\); 2 duplicate"):
        read_ratings(p, "csv")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("keep-first", {(1, 1): 1, (1, 2): 2, (2, 1): 4}),
     ("keep-last", {(1, 1): 5, (1, 2): 2, (2, 1): 4}),
     ("mean", {(1, 1): 3, (1, 2): 2, (2, 1): 4})],
)
def test_duplicate_policies_keep_one_entry_per_pair_and_report_dropped(tmp_path, policy, expected):
    d, report = read_ratings_report(_write(tmp_path / "r.csv", DUP), "csv", duplicates=policy)
    got = {(int(d.user_ids[u]), int(d.item_ids[i])): r for u, i, r in zip(d.user, d.item, d.rating)}
    assert got == expected
    assert report.duplicates_dropped == 2 and report.rows == 5 and report.ratings == 3
    verb = {"keep-first": "kept first", "keep-last": "kept last", "mean": "averaged"}[policy]
    assert f"duplicates: {verb}, 2 dropped" in report.summary()


def test_read_ratings_logs_the_report(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="adago.readers"):
        read_ratings(_write(tmp_path / "r.csv", DUP), "csv", duplicates="keep-last")
    assert "duplicates: kept last, 2 dropped" in caplog.text


def test_bad_arguments_are_rejected(tmp_path):
    p = _write(tmp_path / "r.csv", DUP)
    with pytest.raises(ValueError, match="fmt"):
        read_ratings(p, "xlsx")
    with pytest.raises(ValueError, match="duplicates"):
        read_ratings(p, "csv", duplicates="sum")
    with pytest.raises(ValueError, match="rating_range"):
        read_ratings(p, "csv", rating_range=(5, 1))
    with pytest.raises(RatingFileError, match="no such file"):
        read_ratings(tmp_path / "nope.csv", "csv")


# ------------------------------------------------------------------------------------------------
# monti-mat (MATLAB v7.3 = HDF5)


def _mat(path: Path, M: np.ndarray, train: np.ndarray, test: np.ndarray, **extra) -> Path:
    """Write matrices the way MATLAB v7.3 does: HDF5 holds the transpose of each MATLAB matrix."""
    with h5py.File(path, "w") as f:
        for name, a in {"M": M, "Otraining": train, "Otest": test, **extra}.items():
            ds = f.create_dataset(name, data=np.asarray(a, dtype=np.float64).T)
            ds.attrs["MATLAB_class"] = np.bytes_(b"double")
    return path


def _tiny():
    # 3 users x 4 items (non-square, so a missing transpose would show)
    M = np.array([[5, 0, 3, 0], [0, 1, 0, 0], [4, 0, 0, 2]], dtype=float)
    train = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)
    test = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=float)
    return M, train, test


def test_monti_mat_transposes_back_and_marks_the_test_entries(tmp_path):
    M, train, test = _tiny()
    p = _mat(tmp_path / "t.mat", M, train, test, W_users=np.eye(3))
    d, report = read_ratings_report(p, "monti-mat")
    assert (d.n_users, d.n_items, d.n_ratings) == (3, 4, 5)
    dense = np.zeros((3, 4))
    dense[d.user, d.item] = d.rating
    np.testing.assert_array_equal(dense, M)
    assert d.fixed_test.tolist() == [bool(test[u, i]) for u, i in zip(d.user, d.item)]
    assert "ignored datasets: W_users" in report.summary()


def test_monti_mat_keeps_users_and_items_without_ratings(tmp_path):
    M, train, test = _tiny()
    M[:, 1] = train[:, 1] = 0  # item 1 has no rating
    d = read_ratings(_mat(tmp_path / "t.mat", M, train, test), "monti-mat")
    assert d.n_items == 4 and d.item_ids.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (lambda M, tr, te, x: x.update(Otest=np.ones((3, 4))), r"overlap"),
        (lambda M, tr, te, x: x.update(Otest=np.zeros((4, 3))), r"shapes differ"),
        (lambda M, tr, te, x: x.pop("Otraining"), r"no dataset 'Otraining'"),
        (lambda M, tr, te, x: x.update(M=np.where(M == 5, 7, M)), r"M\[0, 0\] = 7 .* outside"),
        (lambda M, tr, te, x: x.update(Otraining=tr * 2), r"Otraining is not a 0/1 mask"),
        (lambda M, tr, te, x: x.update(W_users=np.eye(4)), r"W_users is 4x4 but M has 3 users"),
    ],
)
def test_monti_mat_rejects_inconsistent_files(tmp_path, mutate, pattern):
    M, train, test = _tiny()
    arrays = {"M": M, "Otraining": train, "Otest": test}
    mutate(M, train, test, arrays)
    p = tmp_path / "bad.mat"
    with h5py.File(p, "w") as f:
        for name, a in arrays.items():
            f.create_dataset(name, data=np.asarray(a, dtype=float).T)
    with pytest.raises(RatingFileError, match=pattern) as exc:
        read_ratings(p, "monti-mat")
    assert str(p) in str(exc.value)


def test_monti_mat_rejects_non_hdf5_and_truncated_files(tmp_path):
    p = _write(tmp_path / "old.mat", "MATLAB 5.0 MAT-file, not HDF5")
    with pytest.raises(RatingFileError, match="not an HDF5 file"):
        read_ratings(p, "monti-mat")
    good = _mat(tmp_path / "t.mat", *_tiny())
    cut = tmp_path / "cut.mat"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(RatingFileError, match=str(cut)):
        read_ratings(cut, "monti-mat")


def test_monti_mat_refuses_external_links(tmp_path):
    other = _mat(tmp_path / "other.mat", *_tiny())
    p = tmp_path / "linked.mat"
    M, train, test = _tiny()
    with h5py.File(p, "w") as f:
        f["M"] = h5py.ExternalLink(str(other), "M")
        f.create_dataset("Otraining", data=train.T)
        f.create_dataset("Otest", data=test.T)
    with pytest.raises(RatingFileError, match="is a link"):
        read_ratings(p, "monti-mat")


def _douban_path() -> Path | None:
    rel = "douban/training_test_dataset.mat"
    roots = [os.environ.get("ADAGO_MIRROR"), Path(__file__).resolve().parents[1].parent / "shared/data"]
    for root in roots:
        if root and (Path(root) / rel).is_file():
            return Path(root) / rel
    return None


@pytest.mark.skipif(_douban_path() is None, reason="Douban file not available (set ADAGO_MIRROR)")
def test_real_douban_has_the_published_counts_and_roundtrips(tmp_path):
    d, report = read_ratings_report(_douban_path(), "monti-mat")
    assert (d.n_users, d.n_items, d.n_ratings) == (3000, 3000, 136_891)
    assert int(d.fixed_test.sum()) == 13_689 and int((~d.fixed_test).sum()) == 123_202
    assert d.rating.min() == 1 and d.rating.max() == 5
    assert set(np.unique(d.rating)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert "W_users" in report.summary()
    save_ratings(tmp_path / "douban.npz", d)
    back = load_ratings(tmp_path / "douban.npz")
    np.testing.assert_array_equal(back.fixed_test, d.fixed_test)
    np.testing.assert_array_equal(back.rating, d.rating)


# ------------------------------------------------------------------------------------------------
# field counts, blank ids, what a path is: faults of issue 9


@pytest.mark.parametrize("duplicates", ["error", "keep-last", "keep-first", "mean"])
@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        # one field more on the first data row: pandas took the first column as the index
        ("r.csv", "user,item,rating\n65,91,4,978300000\n1,10,4,978300001\n3,11,2,978300002\n", 2),
        ("r.csv", "user,item,rating\n65,91,4,978300000\n1,10,4\n", 2),
        ("r.tsv", "user\titem\trating\n65\t91\t4\t978300000\n1\t10\t4\n", 2),
        ("r.csv", "user,item,rating\n1,10,4,\n", 2),  # a trailing delimiter is a field too
        # one field more or fewer further down
        ("r.csv", "user,item,rating\n1,10,4\n65,91,4,978300000\n3,11,2\n", 3),
        ("r.csv", "user,item,rating\n1,10,4\n65,91\n3,11,2\n", 3),
        ("r.tsv", "user\titem\trating\n1\t10\t4\n\n65\t91\t4\t1\n", 4),
    ],
)
def test_a_row_with_more_or_fewer_fields_than_the_header_names_file_and_line(tmp_path, name, text, line, duplicates):
    p = _write(tmp_path / name, text)
    with pytest.raises(RatingFileError, match=rf"{p.name}:{line}: expected 3 fields .*, got [24]") as exc:
        read_ratings(p, "csv", duplicates=duplicates)
    assert str(p) in str(exc.value)


@pytest.mark.parametrize("text", ["1::1::5::0::7\n2::2::3::0::8\n", "1::1::5::0:\n2::2::3::0\n"])
def test_movielens_first_line_with_extra_fields_is_an_error_not_a_shifted_column(tmp_path, text):
    # "1::1::5::0::7" as line 1 used to end in a bare TypeError from pandas' implicit index
    with pytest.raises(RatingFileError, match=r"ratings\.dat:1: expected 4 fields"):
        read_ratings(_ml(tmp_path, text), "movielens")


@pytest.mark.parametrize(
    ("text", "what", "line"),
    [
        ("user,item,rating\n1,10,4\n   ,91,4\n", "user id", 3),
        ("user,item,rating\nalice,10,4\nbob,\t,4\n", "item id", 3),
        ("user,item,rating\nalice,x,4\nbob,y,4\n\n ,z,3\n", "user id", 5),
    ],
)
def test_a_whitespace_only_id_is_rejected_naming_file_and_line(tmp_path, text, what, line):
    p = _write(tmp_path / "r.csv", text)
    with pytest.raises(RatingFileError, match=rf"r\.csv:{line}: {what} is blank"):
        read_ratings(p, "csv")


def test_a_directory_or_device_is_named_for_what_it_is_not_missing(tmp_path):
    with pytest.raises(RatingFileError, match="is a directory, not a rating file"):
        read_ratings(tmp_path, "csv")
    with pytest.raises(RatingFileError, match=r"/dev/null: is not a regular file \(a device"):
        read_ratings("/dev/null", "csv")
    link = tmp_path / "gone.csv"
    link.symlink_to(tmp_path / "nothing.csv")
    with pytest.raises(RatingFileError, match="no such file .*broken symbolic link"):
        read_ratings(link, "csv")


def test_duplicate_error_shows_ids_as_written_not_numpy_reprs(tmp_path):
    p = _write(tmp_path / "r.csv", "user,item,rating\n151,7,4\n151,8,4\n151,7,5\n")
    with pytest.raises(RatingFileError) as exc:
        read_ratings(p, "csv")
    assert "user 151, item 7 (first at line 2)" in str(exc.value) and "np." not in str(exc.value)
    p = _write(tmp_path / "s.csv", "user,item,rating\nalice,x,4\nalice,x,5\n")
    with pytest.raises(RatingFileError, match=r"s\.csv:3: duplicate rating for user 'alice', item 'x'"):
        read_ratings(p, "csv")


def test_ids_that_are_integers_are_integers_whatever_their_spelling(tmp_path):
    d = read_ratings(_write(tmp_path / "r.csv", "user,item,rating\n007,1,4\n 7 ,2,3\n8,1,5\n"), "csv")
    assert d.user_ids.tolist() == [7, 8] and d.user.tolist() == [0, 0, 1] and d.user_ids.dtype == np.int64
    mixed = read_ratings(_write(tmp_path / "m.csv", "user,item,rating\n007,1,4\nalice,1,3\n 7,2,5\n"), "csv")
    assert mixed.user_ids.tolist() == ["7", "alice"] and mixed.user.tolist() == [0, 1, 0]
    huge = read_ratings(_write(tmp_path / "h.csv", "user,item,rating\n99999999999999999999,1,4\n7,2,3\n"), "csv")
    assert huge.user_ids.tolist() == ["7", "99999999999999999999"]  # beyond int64: text, not an overflow


def _chunked_file(tmp_path):
    """Integer ids in the first chunks, text ids later, blank lines, a duplicate pair across chunks."""
    rows = ["user,item,rating", "1,10,4", "2,10,3", "", "3,11,5", "alice,10,2", "007,12,1", "", "",
            "bob,11,4", " 2 ,12,5", "1,10,2"]
    return _write(tmp_path / "c.csv", "\n".join(rows) + "\n")


@pytest.mark.parametrize("duplicates", ["keep-last", "keep-first", "mean"])
def test_reading_in_chunks_gives_the_same_data_as_one_pass(tmp_path, monkeypatch, duplicates):
    import adago.readers as readers

    p = _chunked_file(tmp_path)
    whole = read_ratings(p, "csv", duplicates=duplicates)
    monkeypatch.setattr(readers, "_CHUNK_ROWS", 2)
    chunked = read_ratings(p, "csv", duplicates=duplicates)
    for key in ("user", "item", "rating", "user_ids", "item_ids"):
        np.testing.assert_array_equal(getattr(chunked, key), getattr(whole, key))
    assert whole.user_ids.tolist() == ["1", "2", "3", "7", "alice", "bob"]
    expected = {"keep-last": 2.0, "keep-first": 4.0, "mean": 3.0}[duplicates]  # pair (1, 10), lines 2 and 12
    (k,) = np.flatnonzero((whole.user == 0) & (whole.item == 0))
    assert whole.rating[k] == expected


def test_line_numbers_survive_chunk_boundaries_and_blank_lines(tmp_path, monkeypatch):
    import adago.readers as readers

    monkeypatch.setattr(readers, "_CHUNK_ROWS", 2)
    p = _chunked_file(tmp_path)
    with pytest.raises(RatingFileError, match=r"c\.csv:12: duplicate rating for user '1', item 10 \(first at line 2\)"):
        read_ratings(p, "csv")
    bad = _write(tmp_path / "b.csv", "user,item,rating\n1,1,4\n\n2,2,3\n\n\n3,3,x\n")
    with pytest.raises(RatingFileError, match=r"b\.csv:7: rating 'x' is not a number"):
        read_ratings(bad, "csv")
    extra = _write(tmp_path / "e.csv", "user,item,rating\n1,1,4\n\n2,2,3\n\n\n3,3,3,3\n")
    with pytest.raises(RatingFileError, match=r"e\.csv:7: expected 3 fields"):
        read_ratings(extra, "csv")
