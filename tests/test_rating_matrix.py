"""RatingMatrix: inconsistent parts are refused at construction, Table 2's statistics are exact,
and files are written and read only in the one pickle-free format version."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adago.dataset import FORMAT_VERSION, RatingMatrix, load_ratings, save_ratings


def matrix(n=3, n_users=2, n_items=3, **changes) -> RatingMatrix:
    parts = dict(user=np.array([0, 1, 1][:n], np.int32), item=np.array([0, 2, 1][:n], np.int32),
                 rating=np.array([1.0, 4.0, 5.0][:n]), n_users=n_users, n_items=n_items,
                 user_ids=np.arange(n_users) + 10, item_ids=np.arange(n_items) + 20,
                 rating_min=1.0, rating_max=5.0)
    parts.update(changes)
    return RatingMatrix(**parts)


@pytest.mark.parametrize("changes", [
    dict(user=np.array([0, 1], np.int32)), dict(user=np.array([0, 1, 1, 0], np.int32)),
    dict(item=np.array([0, 2], np.int32)), dict(item=np.array([0, 2, 1, 1], np.int32)),
    dict(rating=np.array([1.0, 4.0])), dict(rating=np.array([1.0, 4.0, 5.0, 2.0])),
], ids=["user-short", "user-long", "item-short", "item-long", "rating-short", "rating-long"])
def test_user_item_and_rating_arrays_must_have_one_length(changes):
    with pytest.raises(ValueError, match="same length"):
        matrix(**changes)


@pytest.mark.parametrize("length", [2, 4])
def test_fixed_test_mask_needs_one_entry_per_rating(length):
    with pytest.raises(ValueError, match="fixed_test mask must have one entry per rating"):
        matrix(fixed_test=np.zeros(length, bool))


@pytest.mark.parametrize("changes", [
    dict(user_ids=np.arange(1)), dict(user_ids=np.arange(3)),
    dict(item_ids=np.arange(2)), dict(item_ids=np.arange(4)),
], ids=["users-short", "users-long", "items-short", "items-long"])
def test_id_arrays_need_one_entry_per_user_and_item(changes):
    with pytest.raises(ValueError, match="user_ids/item_ids must have n_users/n_items entries"):
        matrix(**changes)


def test_table2_statistics_are_exact():
    stats = matrix(fixed_test=np.array([False, True, True])).stats()
    expected = {"users": 2, "items": 3, "ratings": 3, "density": 3 / 6, "rating_min": 1.0, "rating_max": 5.0,
                "rating_mean": 10.0 / 3, "fixed_test_ratings": 2}
    assert {k: stats[k] for k in expected} == expected
    assert "fixed_test_ratings" not in matrix().stats()


def test_statistics_of_an_empty_matrix():
    stats = matrix(n=0).stats()
    assert stats["ratings"] == 0 and stats["density"] == 0.0 and math.isnan(stats["rating_mean"])


def test_saving_refuses_object_arrays_naming_them(tmp_path):
    with pytest.raises(TypeError, match="user_ids has dtype object"):
        save_ratings(tmp_path / "d.npz", matrix(user_ids=np.array(["a", 3], dtype=object)))
    assert not (tmp_path / "d.npz").exists()


@pytest.mark.parametrize("version", [FORMAT_VERSION - 1, FORMAT_VERSION + 1])
def test_loading_refuses_another_format_version_naming_the_file(tmp_path, version):
    save_ratings(tmp_path / "d.npz", matrix())
    with np.load(tmp_path / "d.npz") as z:
        arrays = dict(z)
    arrays["format_version"] = np.array(version)
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(ValueError, match=f"d.npz: prepared-data format {version}, this code reads {FORMAT_VERSION}"):
        load_ratings(tmp_path / "d.npz")


def test_a_saved_matrix_loads_back_equal(tmp_path):
    m = matrix(fixed_test=np.array([True, False, False]))
    save_ratings(tmp_path / "d.npz", m)
    back = load_ratings(tmp_path / "d.npz")
    for name in ("user", "item", "rating", "user_ids", "item_ids", "fixed_test"):
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name), err_msg=name)
    assert (back.n_users, back.n_items, back.rating_min, back.rating_max) == (2, 3, 1.0, 5.0)


def test_an_id_missing_from_a_declared_universe_is_refused_wherever_it_falls():
    from adago.dataset import from_triples

    for missing in (-1, 1, 3, 9):  # below, inside a gap, inside a gap, above the universe [0, 2, 4]
        with pytest.raises(ValueError, match=f"user id {missing} is not in the given user_universe"):
            from_triples(np.array([0, missing]), np.array([0, 0]), np.array([4.0, 3.0]), rating_range=(1, 5),
                         user_universe=np.array([0, 2, 4]))


def test_from_triples_takes_its_options_by_keyword_only():
    from adago.dataset import from_triples

    with pytest.raises(TypeError):
        from_triples(np.array([0]), np.array([0]), np.array([4.0]), (1, 5))


def test_a_rating_matrix_cannot_be_changed_after_construction():
    import dataclasses

    m = matrix()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.n_users = 5
