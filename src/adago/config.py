"""Workflow configuration: validation with messages that name the key, defaults, and derived specs.

The JSON schema (``workflow/schemas/config.schema.yaml``) is the single description of every key and
its default. This module applies it with the same draft Snakemake uses, but reports the first
problem as ``config key 'split.ratios': ...`` instead of a schema dump, then checks what a schema
cannot express: ratios summing to 1, dataset names that must be built in or declared, and each
protocol's hyperparameters, which are validated by :mod:`adago.protocols` (what the paper protocol
leaves open) and :class:`adago.optimizers.TrainConfig` itself, so that a typo is caught when the
workflow is parsed, before any job runs. ``protocol`` is normalised to a list.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, validators

# One error type for the whole configuration, workflow keys and hyperparameters alike.
from adago.download import MIRROR_ENV
from adago.optimizers import ConfigError, TrainConfig
from adago.protocols import PROTOCOLS, check_options, evaluation, run_settings
from adago.readers import DEFAULT_RATING_RANGE, RatingFileError, check_rating_path
from adago.sources import SOURCES

BUILTIN_DATASETS = ("douban", "ml1m", "synthetic")


@dataclass(frozen=True)
class DatasetSpec:
    """Where a data set comes from and how it is split.

    raw: path of the file the prepare step reads (produced by a download/extract/generate rule
    for built-in data sets, given by the user for custom ones).
    """

    name: str
    label: str
    kind: str  # "download", "synthetic" or "custom"
    fmt: str
    raw: str
    ratios: tuple[float, float, float]
    validation_fraction: float
    rating_range: tuple[float, float] | None
    duplicates: str


def _downloaded(name: str, label: str) -> dict:
    """A built-in data set fetched by the download rule; format and range come from its source."""
    src = SOURCES[name]
    file = Path(src["member"] or src["mirror_relpath"]).name  # the extracted member, else the download
    return dict(label=label, kind="download", fmt=src["fmt"], raw=f"data/raw/{name}/{file}",
                rating_range=tuple(float(x) for x in src["rating_range"]))


_BUILTIN = {
    "douban": _downloaded("douban", "D2 Douban"),
    "ml1m": _downloaded("ml1m", "D1 MovieLens-1M"),
    # No declared range: training clips to the training ratings' own range (workflow/scripts/train.py).
    "synthetic": dict(label="Synthetic", kind="synthetic", fmt="csv",
                      raw="data/synthetic/ratings.csv", rating_range=None),
}


def _with_defaults(validator_class):
    """A validator that fills ``default`` values into the instance while validating (as Snakemake does)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, subschema in properties.items():
                if "default" in subschema and prop not in instance:
                    instance[prop] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def load_schema(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def check_config(config: Mapping, schema: Mapping) -> dict:
    """Return a validated copy of ``config`` with defaults filled in, or raise :class:`ConfigError`."""
    cfg = copy.deepcopy(dict(config))
    _check_hyperparameter_layout(cfg)
    validator = _with_defaults(Draft202012Validator)(schema)
    # Fill defaults first (a pass that may itself report errors), then report the most specific error.
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        err = errors[-1]
        raise ConfigError(f"config key '{_key(err.absolute_path)}': {err.message}")
    if isinstance(cfg["protocol"], str):
        cfg["protocol"] = [cfg["protocol"]]
    _check_seeds(cfg)
    _check_fractions(cfg)
    _check_datasets(cfg)
    _check_hyperparameters(cfg)
    return cfg


def _check_hyperparameter_layout(cfg: dict) -> None:
    """The pre-protocol layout (hyperparameters.<dataset>.<method>) gets its own message."""
    blocks = cfg.get("hyperparameters")
    if isinstance(blocks, Mapping):
        for name in blocks:
            if name not in PROTOCOLS:
                raise ConfigError(
                    f"config key 'hyperparameters.{name}': hyperparameters are given per protocol, "
                    f"as hyperparameters.<protocol>.<dataset or default>.<method> with protocol one of "
                    f"{list(PROTOCOLS)}")


def _check_seeds(cfg: dict) -> None:
    # JSON Schema counts 1.0 as an integer; a seed is also part of file names (seed1.npz), so it must be
    # written as one. The schema bounds it to 0..2^32-1.
    for k, seed in enumerate(cfg["seeds"]):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"config key 'seeds.{k}': {seed!r} is not an integer (write it without a decimal point)")


def _check_ratios(ratios, key: str) -> None:
    if not math.isclose(sum(ratios), 1.0, abs_tol=1e-9):
        raise ConfigError(f"config key '{key}': train/validation/test ratios {list(ratios)} must sum to 1")
    if ratios[0] <= 0 or ratios[1] <= 0:
        raise ConfigError(f"config key '{key}': the train and validation ratios must be > 0 "
                          "(early stopping needs validation entries)")


def _check_fractions(cfg: dict) -> None:
    _check_ratios(cfg["split"]["ratios"], "split.ratios")
    for name, spec in cfg["custom_datasets"].items():
        if "ratios" in spec:
            _check_ratios(spec["ratios"], f"custom_datasets.{name}.ratios")


def _check_datasets(cfg: dict) -> None:
    for name, c in cfg["custom_datasets"].items():
        key = f"custom_datasets.{name}"
        if name in BUILTIN_DATASETS:
            raise ConfigError(f"config key '{key}': '{name}' is a built-in data set name")
        if "rating_range" in c:
            lo, hi = c["rating_range"]
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ConfigError(f"config key '{key}.rating_range': {c['rating_range']} must be "
                                  f"[lowest, highest] valid rating, finite, with lowest < highest")
        elif DEFAULT_RATING_RANGE[c["format"]] is None:
            # Read off the data instead, a typo such as -3 would silently widen the range every
            # prediction is clipped to (and Table 2's); declared, it is an error naming file and line.
            raise ConfigError(f"config key '{key}.rating_range': required for {c['format']} files: the lowest "
                              f"and highest valid rating, e.g. [1, 5] (a rating outside it is then an error "
                              f"naming its line)")
    known = set(BUILTIN_DATASETS) | set(cfg["custom_datasets"])
    for k, name in enumerate(cfg["datasets"]):
        if name not in known:
            raise ConfigError(
                f"config key 'datasets[{k}]': unknown data set '{name}'; "
                f"use one of {sorted(known)} or declare it under custom_datasets"
            )
        path = cfg["custom_datasets"].get(name, {}).get("path")
        # A missing file is left to Snakemake ("Missing input files"): a dry run elsewhere is fine.
        if path is not None and (Path(path).exists() or Path(path).is_symlink()):
            try:
                check_rating_path(path)
            except RatingFileError as exc:
                raise ConfigError(f"config key 'custom_datasets.{name}.path': {exc}") from None
    for protocol, blocks in cfg["hyperparameters"].items():
        for name in blocks:
            if name != "default" and name not in known:
                raise ConfigError(f"config key 'hyperparameters.{protocol}.{name}': not 'default' and not "
                                  f"a known data set ({sorted(known)})")


def _check_hyperparameters(cfg: dict) -> None:
    for protocol, blocks in cfg["hyperparameters"].items():
        for block, methods in blocks.items():
            for method, options in methods.items():
                where = f"hyperparameters.{protocol}.{block}.{method}"
                check_options(protocol, method, options, where)
                TrainConfig.from_mapping({"method": method, **options}, where=where)
    for protocol in cfg["protocol"]:
        evaluation(cfg, protocol)  # the tuned protocol's stopping options
        for dataset in cfg["datasets"]:
            for method in cfg["methods"]:
                run_settings(cfg, protocol, dataset, method)


def dataset_spec(cfg: Mapping, name: str) -> DatasetSpec:
    split = cfg["split"]
    if name in _BUILTIN:
        b = _BUILTIN[name]
        return DatasetSpec(name=name, label=b["label"], kind=b["kind"], fmt=b["fmt"], raw=b["raw"],
                           ratios=tuple(split["ratios"]), validation_fraction=split["validation_fraction"],
                           rating_range=b["rating_range"], duplicates=split["duplicates"])
    c = cfg["custom_datasets"][name]
    return DatasetSpec(
        name=name,
        label=c.get("label", name),
        kind="custom",
        fmt=c["format"],
        raw=c["path"],
        ratios=tuple(c.get("ratios", split["ratios"])),
        validation_fraction=c.get("validation_fraction", split["validation_fraction"]),
        # None only for the built-in synthetic data: a custom csv must declare its range (checked
        # above), the other formats have theirs.
        rating_range=tuple(c.get("rating_range", DEFAULT_RATING_RANGE[c["format"]])),
        duplicates=c.get("duplicates", split["duplicates"]),
    )


def prepare_options(spec: DatasetSpec) -> dict:
    """Reader options of the prepare step: only those that can change the prepared data of this
    format, so that e.g. a new label or an unused duplicate policy does not re-run training."""
    out = {"fmt": spec.fmt, "rating_range": spec.rating_range}
    if spec.fmt != "monti-mat":  # a .mat matrix cannot hold duplicates
        out["duplicates"] = spec.duplicates
    return out


def split_options(spec: DatasetSpec) -> dict:
    """Split options that apply to this data set: the fixed-test formats use only the validation
    fraction, random splits only the ratios (see adago.splitting.make_split)."""
    if spec.fmt == "monti-mat":
        return {"validation_fraction": spec.validation_fraction}
    return {"ratios": list(spec.ratios)}


def mirror_dir(cfg: Mapping) -> str | None:
    """The local mirror: config key ``mirror`` if set, else ``$ADAGO_MIRROR``, else None."""
    from adago.sources import resolve_mirror

    path = resolve_mirror(cfg.get("mirror"))
    if path is not None and not path.is_dir():
        source = "config key 'mirror'" if cfg.get("mirror") else f"environment variable {MIRROR_ENV}"
        raise ConfigError(f"{source}: mirror directory '{path}' does not exist")
    return None if path is None else str(path)
