"""Grid search on validation data only."""

from __future__ import annotations

import math

import pytest

from adago import tuning
from adago.synthetic import low_rank_ratings


@pytest.fixture(scope="module")
def data():
    return low_rank_ratings(120, 90, 4000, rank=3, noise_std=0.2, seed=1)


def test_candidates_cover_the_grid_in_a_stable_order():
    assert tuning.candidates({"reg": [0.1, 0.2], "lr": [1, 2]}) == [
        {"lr": 1, "reg": 0.1}, {"lr": 1, "reg": 0.2}, {"lr": 2, "reg": 0.1}, {"lr": 2, "reg": 0.2}]


def test_the_trainer_never_receives_test_data(data, monkeypatch):
    seen = []
    real_train = tuning.train

    def spy(train, val, test, **kwargs):
        seen.append(test)
        return real_train(train, val, test, **kwargs)

    monkeypatch.setattr(tuning, "train", spy)
    tuning.validation_score(data, {"method": "sgd", "max_epochs": 3}, [1, 2], {})
    assert seen == [None, None]


def test_a_diverging_candidate_is_marked_and_ranked_last(data):
    base = {"method": "sgd", "max_epochs": 20, "rank": 3, "init_high": 0.1}
    table = tuning.grid_search(data, base, {"lr": [0.002, 50.0]}, seeds=[1])
    assert table["lr"].tolist() == [0.002, 50.0]
    assert table["diverged"].tolist() == [False, True]
    assert math.isinf(table["val_rmse"].iloc[1]) and table["val_rmse"].iloc[0] < 1.0


def test_the_command_line_writes_every_candidate_best_first(data, tmp_path, capsys):
    from adago.dataset import save_ratings

    save_ratings(tmp_path / "d.npz", data)
    tuning.main([str(tmp_path / "d.npz"), "--method", "adago", "--seeds", "1", "--max-epochs", "5",
                 "--grid", "lr=0.001,0.005", "--out", str(tmp_path / "t.csv")])
    import pandas as pd

    table = pd.read_csv(tmp_path / "t.csv")
    assert len(table) == 2 and table["val_rmse"].is_monotonic_increasing
