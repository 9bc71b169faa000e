"""adago.steps: the prepare and split steps refuse data no training run could use, naming the data set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adago.dataset import from_triples, load_ratings, save_ratings
from adago.splitting import load_split
from adago.steps import DataSetError
from adago.steps.prepare import check_trainable, prepare_dataset
from adago.steps.split import check_split, split_dataset


def _csv(tmp_path, rows, name="r.csv"):
    p = tmp_path / name
    p.write_text("user,item,rating\n" + "".join(f"{u},{i},{r}\n" for u, i, r in rows))
    return p


def _grid(n_users=8, n_items=6, value=None, seed=0):
    rng = np.random.default_rng(seed)
    return [(u, i, value if value is not None else int(rng.integers(1, 6)))
            for u in range(n_users) for i in range(n_items)]


def test_prepare_writes_the_data_and_the_table2_statistics(tmp_path):
    raw = _csv(tmp_path, _grid())
    stats = prepare_dataset(raw, tmp_path / "d.npz", tmp_path / "d.json", name="mine", fmt="csv", rating_range=(1, 5))
    assert json.loads((tmp_path / "d.json").read_text()) == stats
    assert (stats["users"], stats["items"], stats["ratings"], stats["rating_range_source"]) == (8, 6, 48, "declared")
    assert load_ratings(tmp_path / "d.npz").n_ratings == 48


@pytest.mark.parametrize(
    ("rows", "pattern"),
    [
        (_grid(value=4), r"data set 'mine' .*: all 48 ratings are 4; with a single rating value"),
        ([(1, i, 1 + i % 5) for i in range(10)], r"data set 'mine' .*: 10 rating\(s\) from 1 user\(s\) on 10 item"),
        ([(u, 7, 1 + u % 5) for u in range(10)], r"from 10 user\(s\) on 1 item\(s\)"),
        ([(1, 1, 3)], r"1 rating\(s\) from 1 user\(s\) on 1 item"),
    ],
)
def test_prepare_refuses_data_nothing_can_be_learnt_from_and_writes_nothing(tmp_path, rows, pattern):
    raw = _csv(tmp_path, rows)
    with pytest.raises(DataSetError, match=pattern) as exc:
        prepare_dataset(raw, tmp_path / "d.npz", tmp_path / "d.json", name="mine", fmt="csv", rating_range=(1, 5))
    assert str(raw) in str(exc.value)
    assert not (tmp_path / "d.npz").exists() and not (tmp_path / "d.json").exists()


def test_a_cold_start_policy_that_empties_validation_fails_at_split_time_saying_what_to_change(tmp_path):
    # 10 ratings, every item rated once: whatever goes to validation/test is cold and dropped
    data = from_triples(np.arange(10) % 2, np.arange(10), 1.0 + np.arange(10) % 5, rating_range=(1, 5))
    check_trainable(data, "tiny")
    save_ratings(tmp_path / "d.npz", data)
    with pytest.raises(DataSetError) as exc:
        split_dataset(tmp_path / "d.npz", tmp_path / "s.npz", tmp_path / "s.json", name="tiny", seed=3,
                      ratios=[0.7, 0.1, 0.2], cold_start="drop")
    message = str(exc.value)
    assert message.startswith("data set 'tiny', seed 3: the validation and test parts are empty")
    assert "cold_start 'drop' removed 1 validation and 2 test entries" in message
    assert "or cold_start: keep" in message
    assert not (tmp_path / "s.npz").exists() and not (tmp_path / "s.json").exists()


def test_a_split_with_every_part_filled_is_written_and_checks_out(tmp_path):
    data = from_triples(*np.array(_grid(20, 15)).T, rating_range=(1, 5))
    save_ratings(tmp_path / "d.npz", data)
    manifest = split_dataset(tmp_path / "d.npz", tmp_path / "s.npz", tmp_path / "s.json", name="ok", seed=1,
                             ratios=[0.7, 0.1, 0.2])
    split = load_split(tmp_path / "s.npz", expected_sha256=manifest["sha256"])
    assert all(n > 0 for n in split.counts().values())


def test_an_undeclared_range_needs_two_training_values(tmp_path):
    u, i, _ = np.array(_grid(20, 15)).T
    r = np.full(len(u), 3.0)
    r[0] = 4.0  # the only other value; made a test entry below
    data = from_triples(u, i, r, rating_range=(3, 4), range_declared=False)
    from adago.splitting import Split

    split = Split(np.arange(1, len(r) - 20), np.arange(len(r) - 20, len(r) - 10), np.r_[0, len(r) - 10:len(r)],
                  {"seed": 5, "kind": "random", "ratios": [0.7, 0.1, 0.2], "cold_start": "keep"})
    with pytest.raises(DataSetError, match=r"data set 'syn', seed 5: training ratings' range \[3, 3\] .*declare rating_range"):
        check_split(data, split, "syn")
