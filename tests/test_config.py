"""Config validation: every invalid value is rejected before any job runs, naming the key."""

from __future__ import annotations

import pytest

from adago.config import ConfigError, check_config, hyperparameters, load_schema
from workflow_helpers import REPO, make_workdir, snakemake

SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")


def test_an_empty_config_gets_every_documented_default():
    cfg = check_config({}, SCHEMA)
    assert cfg["datasets"] == ["douban", "ml1m"] and cfg["methods"] == ["adago", "adam", "sgd"]
    assert cfg["seeds"] == list(range(1, 11)) and cfg["max_epochs"] == 500
    assert cfg["split"] == {"ratios": [0.7, 0.1, 0.2], "validation_fraction": 0.1, "cold_start": "drop",
                            "duplicates": "error"}
    assert cfg["training"] == {"threads": 1, "tol": 1e-5, "patience": 10}


def test_the_shipped_configs_are_valid_alone_and_merged_over_the_main_one():
    import yaml
    from snakemake.utils import update_config

    main = yaml.safe_load((REPO / "config/config.yaml").read_text())
    check_config(main, SCHEMA)
    for name in ("quick.yaml", "ml1m_like.yaml"):
        extra = yaml.safe_load((REPO / "config" / name).read_text())
        merged = {**main}
        update_config(merged, extra)  # what Snakemake does with --configfile
        check_config(merged, SCHEMA)


@pytest.mark.parametrize("configfile, dataset", [("config.yaml", "douban"), ("config.yaml", "ml1m"),
                                                 ("config.yaml", "synthetic"), ("ml1m_like.yaml", "ml1m_like")])
def test_each_shipped_ablation_differs_from_adago_only_in_what_it_fixes(configfile, dataset):
    import yaml

    from adago.optimizers import METHODS

    cfg = yaml.safe_load((REPO / "config" / configfile).read_text())
    cfg = check_config({**cfg, "datasets": [dataset], "methods": list(METHODS)}, SCHEMA)
    base = hyperparameters(cfg, dataset, "adago")
    for name, spec in METHODS.items():
        if spec.algorithm != "adago" or name == "adago":
            continue
        run = hyperparameters(cfg, dataset, name)
        # A full-batch step needs its own learning rate; nothing else may differ.
        free = {"method", *spec.fixed} | ({"lr"} if spec.fixed.get("batch") == "full" else set())
        assert {k: v for k, v in run.items() if k not in free} == {k: v for k, v in base.items() if k not in free}, name


@pytest.mark.parametrize(
    "config, key",
    [
        ({"methods": ["adago", "lbfgs"]}, "methods.1"),
        ({"hyperparameters": {"default": {"sgd": {"lr": -0.1}}}}, "hyperparameters.default.sgd.lr"),
        ({"hyperparameters": {"default": {"adam": {"learning_rate": 0.1}}}}, "hyperparameters.default.adam.learning_rate"),
        ({"hyperparameters": {"default": {"newton": {}}}}, "hyperparameters.default"),
        ({"split": {"ratios": [0.7, 0.2, 0.2]}}, "split.ratios"),
        ({"split": {"ratios": [0.0, 0.5, 0.5]}}, "split.ratios"),
        ({"split": {"ratios": [0.8, 0.0, 0.2]}}, "split.ratios"),
        ({"hyperparameters": {"default": {"adago": {"patience": 50}}}}, "hyperparameters.default.adago.patience"),
        ({"seeds": [1, 2.5]}, "seeds.1"),
        ({"seeds": ["one"]}, "seeds.0"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"datasets": ["netflix"]}, "datasets[0]"),
        ({"custom_datasets": {"mine": {"path": "x.csv", "format": "parquet"}}}, "custom_datasets.mine.format"),
        ({"custom_datasets": {"mine": {"path": "x.csv"}}}, "custom_datasets.mine"),
        ({"custom_datasets": {"mine": {"path": "x.csv", "format": "csv", "ratios": [0.5, 0.5, 0.5]}}},
         "custom_datasets.mine.ratios"),
        ({"custom_datasets": {"douban": {"path": "x.csv", "format": "csv"}}}, "custom_datasets.douban"),
        ({"training": {"threads": 0}}, "training.threads"),
        ({"split": {"cold_start": "ignore"}}, "split.cold_start"),
        ({"typo_key": 1}, "<top level>"),
        # issue 9: each used to pass validation and fail later (or never)
        ({"seeds": [1.0]}, "seeds.0"),
        ({"seeds": [3, 10**20]}, "seeds.1"),
        ({"seeds": [2**32]}, "seeds.0"),
        ({"custom_datasets": {"mine": {"path": "x.csv", "format": "csv", "rating_range": [5, 1]}}},
         "custom_datasets.mine.rating_range"),
        ({"custom_datasets": {"mine": {"path": "x.dat", "format": "movielens", "rating_range": [3, 3]}}},
         "custom_datasets.mine.rating_range"),
        ({"custom_datasets": {"mine": {"path": "x.csv", "format": "csv"}}}, "custom_datasets.mine.rating_range"),
    ],
)
def test_an_invalid_value_is_rejected_naming_its_key(config, key):
    with pytest.raises(ConfigError) as err:
        check_config(config, SCHEMA)
    assert key in str(err.value)


def test_seeds_span_0_to_2_to_the_32_minus_1():
    assert check_config({"seeds": [0, 2**32 - 1]}, SCHEMA)["seeds"] == [0, 2**32 - 1]


@pytest.mark.parametrize("path, what", [(".", "is a directory"), ("/dev/null", "is not a regular file")])
def test_a_data_path_that_is_not_a_file_is_named_for_what_it_is(path, what):
    cfg = {"datasets": ["mine"], "custom_datasets": {"mine": {"path": path, "format": "csv", "rating_range": [1, 5]}}}
    with pytest.raises(ConfigError, match=rf"config key 'custom_datasets\.mine\.path': .*{what}"):
        check_config(cfg, SCHEMA)


def test_custom_data_sets_of_other_formats_get_their_format_range():
    from adago.config import dataset_spec

    cfg = check_config({"custom_datasets": {"m": {"path": "r.dat", "format": "movielens"},
                                            "c": {"path": "r.csv", "format": "csv", "rating_range": [0.5, 5]}}},
                       SCHEMA)
    assert dataset_spec(cfg, "m").rating_range == (1.0, 5.0)
    assert dataset_spec(cfg, "c").rating_range == (0.5, 5)
    assert dataset_spec(cfg, "synthetic").rating_range is None


def test_dataset_blocks_override_the_default_block_key_by_key():
    cfg = check_config({"hyperparameters": {"default": {"sgd": {"lr": 0.01, "momentum": 0.8}},
                                            "douban": {"sgd": {"lr": 0.02}}}}, SCHEMA)
    douban, ml1m = hyperparameters(cfg, "douban", "sgd"), hyperparameters(cfg, "ml1m", "sgd")
    assert (douban["lr"], douban["momentum"]) == (0.02, 0.8)
    assert (ml1m["lr"], ml1m["momentum"]) == (0.01, 0.8)
    assert douban["max_epochs"] == 500 and douban["patience"] == 10


def test_snakemake_refuses_a_bad_config_before_running_any_job(tmp_path):
    workdir = make_workdir(tmp_path, {"datasets": ["synthetic"], "hyperparameters": {"default": {"adam": {"lr": -1}}}})
    result = snakemake(workdir)
    assert result.returncode != 0
    assert "hyperparameters.default.adam.lr" in result.stdout + result.stderr
    assert not (workdir / "results").exists() and not (workdir / "data").exists()


@pytest.mark.parametrize(
    "config, key",
    [
        ({"seeds": [1.0]}, "seeds.0"),
        ({"seeds": [10**20]}, "seeds.0"),
        ({"datasets": ["mine"], "custom_datasets": {"mine": {"path": "r.csv", "format": "csv", "rating_range": [5, 1]}}},
         "custom_datasets.mine.rating_range"),
    ],
)
def test_snakemake_refuses_bad_seeds_and_ranges_before_any_job(tmp_path, config, key):
    workdir = make_workdir(tmp_path, {"datasets": ["synthetic"], "max_epochs": 2, **config})
    (workdir / "r.csv").write_text("user,item,rating\n1,1,1\n2,2,5\n")
    result = snakemake(workdir)
    assert result.returncode != 0
    assert f"config key '{key}'" in result.stdout + result.stderr
    assert not (workdir / "results").exists() and not (workdir / "data").exists()


def test_a_missing_mirror_directory_is_named_before_any_job(tmp_path):
    workdir = make_workdir(tmp_path, {"datasets": ["douban"], "mirror": str(tmp_path / "nowhere")})
    result = snakemake(workdir, "-n", "download")
    assert result.returncode != 0
    assert "config key 'mirror'" in result.stdout + result.stderr
    assert not (workdir / "data/raw/douban/training_test_dataset.mat").exists()
