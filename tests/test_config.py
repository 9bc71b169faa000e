"""Config validation: every invalid value is rejected before any job runs, naming the key."""

from __future__ import annotations

import pytest

from adago.config import ConfigError, check_config, load_schema
from adago.protocols import evaluation, run_settings
from workflow_helpers import REPO, make_workdir, snakemake

SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")


def test_an_empty_config_gets_every_documented_default():
    cfg = check_config({}, SCHEMA)
    assert cfg["datasets"] == ["douban", "ml1m"] and cfg["methods"] == ["adago", "adam", "sgd"]
    assert cfg["seeds"] == list(range(1, 11)) and cfg["max_epochs"] == 500
    assert cfg["split"] == {"ratios": [0.7, 0.1, 0.2], "validation_fraction": 0.1, "cold_start": "drop",
                            "duplicates": "error"}
    assert cfg["training"] == {"threads": 1, "progress_every": 50, "tol": 1e-5, "patience": 10, "stopping": {
        "rule": "running-best", "mode": "separate", "monitor": ["rmse", "mae"], "min_epochs": 100}}
    assert cfg["protocol"] == ["paper", "tuned"] and cfg["evaluation"] == {"clip": True}


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
@pytest.mark.parametrize("protocol", ["paper", "tuned"])
def test_each_shipped_ablation_differs_from_adago_only_in_what_it_fixes(configfile, dataset, protocol):
    import yaml
    from snakemake.utils import update_config

    from adago.optimizers import METHODS
    from adago.protocols import run_settings

    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    update_config(cfg, yaml.safe_load((REPO / "config" / configfile).read_text()))
    cfg = check_config({**cfg, "datasets": [dataset], "methods": list(METHODS)}, SCHEMA)
    base = run_settings(cfg, protocol, dataset, "adago")
    for name, spec in METHODS.items():
        if spec.algorithm != "adago" or name == "adago":
            continue
        run = run_settings(cfg, protocol, dataset, name)
        # A full-batch step needs its own learning rate; nothing else may differ.
        free = {"method", *spec.fixed} | ({"lr"} if spec.fixed.get("batch") == "full" else set())
        assert {k: v for k, v in run.items() if k not in free} == {k: v for k, v in base.items() if k not in free}, name


@pytest.mark.parametrize("method", ["als", "adago-full", "adahessian", "adago-nodamp"])
def test_the_paper_protocol_leaves_a_method_what_its_name_and_algorithm_require(method):
    from adago.protocols import open_keys, run_settings

    cfg = check_config({"datasets": ["douban"], "methods": [method]}, SCHEMA)
    settings = run_settings(cfg, "paper", "douban", method)
    assert (settings["rank"], settings["reg"], settings["init_high"]) == (20, 0.03, 0.004)  # the paper's model
    expected_batch = {"als": "full", "adago-full": "full"}.get(method, "rating")
    assert settings["batch"] == expected_batch
    assert "damping" not in open_keys("paper", "adago-nodamp") and "lr" not in open_keys("paper", "als")


@pytest.mark.parametrize(
    "config, key",
    [
        ({"methods": ["adago", "lbfgs"]}, "methods.1"),
        ({"hyperparameters": {"tuned": {"default": {"sgd": {"lr": -0.1}}}}}, "hyperparameters.tuned.default.sgd.lr"),
        ({"hyperparameters": {"tuned": {"default": {"adam": {"learning_rate": 0.1}}}}},
         "hyperparameters.tuned.default.adam.learning_rate"),
        ({"hyperparameters": {"tuned": {"default": {"newton": {}}}}}, "hyperparameters.tuned.default"),
        ({"hyperparameters": {"tuned": {"netflix": {"adam": {}}}}}, "hyperparameters.tuned.netflix"),
        ({"hyperparameters": {"paper": {"douban": {"adago": {"rank": 30}}}}}, "hyperparameters.paper.douban.adago.rank"),
        ({"hyperparameters": {"paper": {"default": {"sgd": {"momentum": 0.5}}}}},
         "hyperparameters.paper.default.sgd.momentum"),
        ({"hyperparameters": {"douban": {"adam": {"lr": 0.1}}}}, "hyperparameters.douban"),
        ({"protocol": "authors"}, "protocol"),
        ({"protocol": ["paper", "paper"]}, "protocol"),
        ({"training": {"stopping": {"rule": "keras"}}}, "training.stopping.rule"),
        ({"training": {"stopping": {"min_epochs": -1}}}, "training.stopping.min_epochs"),
        ({"evaluation": {"clip": "yes"}}, "evaluation.clip"),
        ({"split": {"ratios": [0.7, 0.2, 0.2]}}, "split.ratios"),
        ({"split": {"ratios": [0.0, 0.5, 0.5]}}, "split.ratios"),
        ({"split": {"ratios": [0.8, 0.0, 0.2]}}, "split.ratios"),
        ({"hyperparameters": {"tuned": {"default": {"adago": {"patience": 50}}}}},
         "hyperparameters.tuned.default.adago.patience"),
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
    cfg = check_config({"hyperparameters": {"tuned": {"default": {"sgd": {"lr": 0.01, "momentum": 0.8}},
                                                      "douban": {"sgd": {"lr": 0.02}}}}}, SCHEMA)
    douban, ml1m = run_settings(cfg, "tuned", "douban", "sgd"), run_settings(cfg, "tuned", "ml1m", "sgd")
    assert (douban["lr"], douban["momentum"]) == (0.02, 0.8)
    assert (ml1m["lr"], ml1m["momentum"]) == (0.01, 0.8)
    assert douban["max_epochs"] == 500 and douban["patience"] == 10


def test_the_paper_protocol_fixes_everything_but_what_the_paper_leaves_open():
    cfg = check_config({"max_epochs": 7, "training": {"tol": 0.1, "patience": 2}, "evaluation": {"clip": True},
                        "hyperparameters": {"paper": {"douban": {"adago": {"lr": 0.003, "damping": 0.1, "omega": 0.99}}},
                                            "tuned": {"default": {"adago": {"rank": 5, "init_high": 0.1}}}}},
                       SCHEMA)
    paper, tuned = run_settings(cfg, "paper", "douban", "adago"), run_settings(cfg, "tuned", "douban", "adago")
    assert {k: paper[k] for k in ("rank", "reg", "init_low", "init_high", "batch", "use_bias", "max_epochs", "tol",
                                  "patience")} == {"rank": 20, "reg": 0.03, "init_low": 0.0, "init_high": 0.004,
                                                   "batch": "rating", "use_bias": False, "max_epochs": 500,
                                                   "tol": 1e-5, "patience": 10}
    assert (paper["lr"], paper["damping"], paper["omega"]) == (0.003, 0.1, 0.99)
    assert (tuned["rank"], tuned["init_high"], tuned["max_epochs"], tuned["tol"]) == (5, 0.1, 7, 0.1)
    assert evaluation(cfg, "paper") == {"clip": False, "stopping": {
        "rule": "authors", "mode": "separate", "monitor": ["rmse", "mae"], "min_epochs": 0}}
    assert evaluation(cfg, "tuned")["clip"] is True


def test_the_tuning_stages_choice_wins_but_only_over_open_keys():
    cfg = check_config({"hyperparameters": {"paper": {"douban": {"adam": {"lr": 0.001}}}}}, SCHEMA)
    assert run_settings(cfg, "paper", "douban", "adam", tuned={"lr": 0.004})["lr"] == 0.004
    assert run_settings(cfg, "tuned", "douban", "adam", tuned={"init_high": 0.05})["init_high"] == 0.05
    with pytest.raises(ConfigError, match=r"results/tuning/paper/douban/adam/best.json.reg': fixed to 0.03"):
        run_settings(cfg, "paper", "douban", "adam", tuned={"reg": 0.01})


def test_a_single_protocol_may_be_given_as_a_string():
    assert check_config({"protocol": "tuned"}, SCHEMA)["protocol"] == ["tuned"]


def test_snakemake_refuses_a_bad_config_before_running_any_job(tmp_path):
    workdir = make_workdir(tmp_path, {"datasets": ["synthetic"],
                                      "hyperparameters": {"tuned": {"default": {"adam": {"lr": -1}}}}})
    result = snakemake(workdir)
    assert result.returncode != 0
    assert "hyperparameters.tuned.default.adam.lr" in result.stdout + result.stderr
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
