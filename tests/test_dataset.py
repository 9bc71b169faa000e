"""adago.dataset: id remapping (incl. declared universes and string ids) and pickle-free .npz files."""

from __future__ import annotations

import numpy as np
import pytest

from adago.dataset import from_triples, load_ratings, save_ratings


def test_from_triples_remaps_ids_in_sorted_order():
    d = from_triples(np.array([30, 10, 30]), np.array([5, 7, 7]), np.array([1.0, 2, 3]), rating_range=(1, 5))
    assert d.user_ids.tolist() == [10, 30] and d.user.tolist() == [1, 0, 1]
    assert d.item_ids.tolist() == [5, 7] and d.item.tolist() == [0, 1, 1]


def test_from_triples_universe_keeps_ids_without_ratings():
    d = from_triples(np.array([2]), np.array([0]), np.array([4.0]), rating_range=(1, 5),
                     user_universe=np.arange(4), item_universe=np.arange(3))
    assert (d.n_users, d.n_items) == (4, 3) and d.user.tolist() == [2] and d.item.tolist() == [0]
    assert d.stats()["users"] == 4


def test_from_triples_universe_must_contain_every_id():
    with pytest.raises(ValueError, match="user id 9 is not in the given user_universe"):
        from_triples(np.array([9]), np.array([0]), np.array([4.0]), rating_range=(1, 5), user_universe=np.arange(4))


def test_object_string_ids_become_str_arrays_that_roundtrip_without_pickle(tmp_path):
    users = np.array(["bob", "alice"], dtype=object)
    d = from_triples(users, np.array([1, 2]), np.array([3.0, 4.0]), rating_range=(1, 5))
    assert d.user_ids.dtype.kind == "U"
    save_ratings(tmp_path / "d.npz", d)
    back = load_ratings(tmp_path / "d.npz")
    assert back.user_ids.tolist() == ["alice", "bob"]
    np.testing.assert_array_equal(back.rating, d.rating)


def test_load_ratings_refuses_object_arrays(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, format_version=np.array(1), user=np.array([0], np.int32), item=np.array([0], np.int32),
             rating=np.array([1.0]), shape=np.array([1, 1]), user_ids=np.array([{"x": 1}], dtype=object),
             item_ids=np.array([0]), rating_range=np.array([1.0, 5.0]))
    with pytest.raises(ValueError, match=r"evil\.npz: refused to load: .*allow_pickle"):
        load_ratings(p)


def test_load_ratings_names_missing_arrays(tmp_path):
    p = tmp_path / "other.npz"
    np.savez(p, format_version=np.array(1))
    pattern = r"other\.npz: not a prepared rating file, missing array\(s\) user, item, rating, shape"
    with pytest.raises(ValueError, match=pattern):
        load_ratings(p)


def test_rating_range_policy_is_the_declared_range_else_the_training_ratings_range():
    from adago.dataset import rating_range_policy

    ratings = np.array([1.0, 2, 5, -3])  # -3: a typo that ended up in the test part, never passed in
    train = np.array([0, 1, 2])  # index 3 is the test part
    assert rating_range_policy((1, 5), ratings[train]) == (1.0, 5.0)
    assert rating_range_policy(None, ratings[train]) == (1.0, 5.0)
    with pytest.raises(ValueError, match=r"training ratings' range \[4, 4\] must be finite with high > low"):
        rating_range_policy(None, np.array([4.0, 4.0]))
    with pytest.raises(ValueError, match="declared rating range"):
        rating_range_policy((5, 1), ratings)


def test_an_undeclared_range_survives_save_and_load_as_undeclared(tmp_path):
    d = from_triples(np.array([0, 1]), np.array([0, 1]), np.array([2.0, 3.0]), rating_range=(2, 3),
                     range_declared=False)
    save_ratings(tmp_path / "d.npz", d)
    back = load_ratings(tmp_path / "d.npz")
    assert back.declared_range is None and (back.rating_min, back.rating_max) == (2.0, 3.0)
    save_ratings(tmp_path / "e.npz", from_triples(np.array([0]), np.array([0]), np.array([2.0]), rating_range=(1, 5)))
    assert load_ratings(tmp_path / "e.npz").declared_range == (1.0, 5.0)
