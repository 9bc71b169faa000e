import math
import os
import re
from pathlib import Path

import adago
import adago.resources
from adago.codedeps import code_hash
from adago.fingerprint import file_fingerprint
from adago.sources import SOURCES

from adago.config import (
    check_config,
    dataset_spec,
    load_schema,
    mirror_dir,
    prepare_options,
    split_options,
    tuning_settings,
)
from adago.protocols import evaluation, run_settings
from adago.tuning.space import space_to_json
from adago.tuning.trials import trial_ids as budget_trial_ids

# Validate before anything else: a bad key fails here, naming the key, before any job runs.
config.update(check_config(config, load_schema(workflow.source_path("../schemas/config.schema.yaml"))))
# Only checked here (a missing mirror directory is a config error); the download job reads it
# itself, so that pointing at another mirror never makes a verified file out of date.
mirror_dir(config)

PROTOCOLS = config["protocol"]
DATASETS = config["datasets"]
METHODS = config["methods"]
SEEDS = config["seeds"]


# Names are escaped: method names carry hyphens (adago-nodamp), and no name may act as a pattern.
wildcard_constraints:
    protocol="|".join(map(re.escape, PROTOCOLS)),
    dataset="|".join(map(re.escape, DATASETS)),
    method="|".join(map(re.escape, METHODS)),
    seed=r"\d+",


# Snakemake re-runs a job when its script changes, but cannot see the modules the script imports.
# Each rule's `code` param hashes the src/adago files its script imports, directly or through other
# modules (adago.codedeps reads the import statements, it does not import): an edit to one of them
# re-runs the rule, an edit to a module it never imports - or a new module, whatever its name -
# does not. A param rather than an input: a bare `touch` or a checkout that leaves the content
# unchanged must not re-run a 30-minute reproduction.
# The package that rule scripts import and the directory of those scripts, found from this file (not
# workflow.basedir, which is the outer workflow's when another one uses this one as a module).
SRC = Path(adago.__file__).resolve().parent
SCRIPTS = Path(str(workflow.current_basedir)).parent / "scripts"


def script_code(script):
    """Hash of the adago modules that workflow/scripts/``script`` imports (adago.codedeps.code_hash)."""
    return code_hash(SCRIPTS / script, SRC)


# Compiled kernels, shared by the jobs of this workflow (adago.numbacache moves it node-local on a cluster).
NUMBA_CACHE = "results/.numba_cache"


def output_prefix(output):
    """The path prefix Snakemake gives this workflow's files ('' unless it runs as a module with a
    prefix): what precedes results/ or figures/ in the job's first output. Params are not prefixed
    by Snakemake, so paths handed over in params need it added."""
    # The last results/ or figures/ is this workflow's: wildcard values never hold a slash.
    path = str(output[0])
    cut = max(path.rfind("results/"), path.rfind("figures/"))
    return path[:cut] if cut > 0 else ""


def numba_cache(wildcards, output):
    """NUMBA_CACHE beside the job's own results/ directory, so under the prefix when another workflow
    uses this one as a module."""
    return output_prefix(output) + NUMBA_CACHE


def spec(dataset):
    return dataset_spec(config, dataset)


def dataset_kind(dataset):
    return spec(dataset).kind


def dataset_raw(dataset):
    return spec(dataset).raw


def run_dir(protocol, dataset, method, seed):
    return f"results/runs/{protocol}/{dataset}/{method}/seed{seed}"


def run_summaries(protocol):
    return [f"{run_dir(protocol, d, m, s)}/summary.json" for d in DATASETS for m in METHODS for s in SEEDS]


def run_histories(protocol, dataset):
    """Ordered method-major, then seed (plot_convergence relies on it)."""
    return [f"{run_dir(protocol, dataset, m, s)}/history.csv" for m in METHODS for s in SEEDS]


def run_benchmarks(protocol):
    return [f"benchmarks/train/{protocol}/{d}/{m}/seed{s}.tsv" for d in DATASETS for m in METHODS for s in SEEDS]


def run_manifests():
    return [f"results/splits/{d}/seed{s}.json" for d in DATASETS for s in SEEDS]


TRAIN_LOG = "logs/train/{protocol}/{dataset}/{method}/seed{seed}.log"


def run_files(protocol):
    """Every file of every run of ``protocol``: summaries, histories and benchmarks."""
    return [
        *run_summaries(protocol),
        *(h for d in DATASETS for h in run_histories(protocol, d)),
        *run_benchmarks(protocol),
    ]


def stale_run_files(wildcards=None):
    """The run files that are missing although the runs.csv made from them exists: the target rules
    list them. Snakemake re-makes a missing file only for a job it runs, and once runs.csv is there no
    job asks for a run (its job killed, its directory deleted): 'Nothing to be done' would stand over
    tables of runs that are gone. Listed, such a run is trained again and all made from it remade.
    Only the missing ones, so that the console of a finished or fresh workflow lists no run files."""
    return [
        f
        for p in PROTOCOLS
        if os.path.exists(f"results/tables/{p}/runs.csv")
        for f in run_files(p)
        if not os.path.exists(f)
    ]


def expected_runs(protocol, datasets=None, prefix=""):
    """What the config asks of the runs of ``protocol``: their seeds, evaluation and each (data set,
    method)'s hyperparameters, or for a tuned one the best.json that holds them (its path as the
    training job saw it: with the module ``prefix``). A param of the rules that read runs, so
    changing any run's settings re-makes them, and they check (adago.runio.check_runs) that every
    summary matches it."""
    return {
        "protocol": protocol,
        "seeds": SEEDS,
        "evaluation": evaluation(config, protocol),
        # A tuned run's settings are those of its best.json (tune.smk), known once the tune stage ran.
        "runs": {
            d: {
                m: (
                    {"best_json": prefix + best_json(protocol, d, m)}
                    if is_tuned(protocol, m)
                    else run_settings(config, protocol, d, m)
                )
                for m in METHODS
            }
            for d in datasets or DATASETS
        },
    }


TABLES = ["table2", "table3", "table4", "table5"]
CLAIMS = expand("results/tables/claims.{ext}", ext=["csv", "md", "tex"])


def all_tables():
    return [
        *expand("results/tables/{protocol}/{table}.{ext}", protocol=PROTOCOLS, table=TABLES, ext=["csv", "md", "tex"]),
        *expand("results/tables/{protocol}/significance.csv", protocol=PROTOCOLS),
        *CLAIMS,
        "results/tables/paper_comparison.md",
        # HTML views for the report (report.smk)
        *expand("results/tables/{protocol}/{table}.html", protocol=PROTOCOLS, table=[*TABLES, "significance"]),
        "results/tables/claims.html",
        "results/tables/paper_comparison.html",
    ]


COMPLETE = "results/complete.json"


def last_outputs():
    """One output of every table and figure job: what check_results waits for (it runs last)."""
    return [
        *expand("results/tables/{protocol}/table4.csv", protocol=PROTOCOLS),
        CLAIMS[0],
        *expand("figures/{protocol}/figure{fig}.png", protocol=PROTOCOLS, fig=range(2, 8)),
        *expand("figures/{protocol}/convergence_{dataset}.png", protocol=PROTOCOLS, dataset=DATASETS),
    ]


def all_figures():
    return [
        *expand("figures/{protocol}/figure{fig}.{ext}", protocol=PROTOCOLS, fig=range(2, 8), ext=["png", "pdf"]),
        *expand(
            "figures/{protocol}/convergence_{dataset}.{ext}", protocol=PROTOCOLS, dataset=DATASETS, ext=["png", "pdf"]
        ),
    ]


def download_source(source, filename):
    """URL and checksum of a built-in download (adago.sources), checked against the requested name."""
    src = SOURCES[source]
    expected = Path(src["mirror_relpath"]).name
    if filename != expected:
        raise ValueError(f"data/raw/{source}/ holds {expected}, not {filename}")
    return {k: src[k] for k in ("url", "sha256", "md5", "mirror_relpath") if src.get(k)}


def source_member(source):
    """The member of a built-in archive that holds the ratings."""
    return SOURCES[source]["member"]


##### cluster resources: growing with the input #####
# What a job asks the scheduler for (profiles/slurm; locally only --resources limits would read them).
# Snakemake evaluates these once the input exists; each attempt after an out-of-memory or time-limit
# kill (profile key `retries`) asks for more. Memory of the data steps: adago.resources (measured
# peaks, checked by tests/test_resources.py). Times and the training memory: benchmark files
# (max_rss, seconds) on the 2-core development machine while other work ran, for synthetic (40,000
# ratings), Douban (136,891) and the ML-1M-shaped stand-in (1,000,209), about doubled so that slower
# nodes and bigger data fit:
#
#   job      input MB (syn / Douban / ML-1M)   max_rss MB                 seconds
#   prepare  0.65 csv / 2.78 mat / 11.5 csv    79 / 397 / 185             3.5 / 10.7 / 5.7
#   split    0.65 / 2.38 / 16.1 npz            41 / 45 / 67               1.2-3.3
#   train    0.97 / 3.47 / 24.1 npz            197-220 / 204-225 / 253    up to 0.037 s/epoch per input MB
#
# A 25M-rating CSV (275 MB; 574 MB of training input) therefore gets 2.8 GB and 6.6 h (500 epochs)
# per training run, while a Douban run asks for 514 MB and 13 minutes.


def _scaled(base, per_mb, input_mb, attempt):
    return int(math.ceil((base + per_mb * input_mb) * attempt))


def prepare_mem_mb(wildcards, input, attempt):
    return adago.resources.prepare_mem_mb(input.raw, spec(wildcards.dataset).fmt) * attempt


def prepare_runtime(wildcards, input, attempt):
    return _scaled(10, 0.05, input.size_mb, attempt)


def split_mem_mb(wildcards, input, attempt):
    return adago.resources.split_mem_mb(input.data) * attempt


def split_runtime(wildcards, input, attempt):
    return _scaled(10, 0.02, input.size_mb, attempt)


def train_mem_mb(wildcards, input, attempt):
    # ~200 MB is Python, NumPy and Numba with its compiled kernels; the rest is the data, the split
    # indices and per-rating work arrays (2.3 MB of RAM per MB of input).
    return _scaled(500, 4, input.size_mb, attempt)


# Seconds per epoch per MB of training input (prepared data + split): 0.037 measured on ML-1M,
# including the validation and test evaluation of every epoch; doubled.
TRAIN_SECONDS_PER_EPOCH_MB = 0.08


def train_runtime(wildcards, input, attempt):
    # The worst case: a run that never stops early goes on for its protocol's max_epochs epochs.
    epochs = run_settings(config, wildcards.protocol, wildcards.dataset, wildcards.method)["max_epochs"]
    return _scaled(10, epochs * TRAIN_SECONDS_PER_EPOCH_MB / 60, input.size_mb, attempt)


def tune_runtime(wildcards, input, attempt):
    # A trial trains once per tuning seed, each up to the protocol's max_epochs; input.size_mb holds
    # the data and every seed's split, so this bounds the time from above.
    epochs = run_settings(config, wildcards.protocol, wildcards.dataset, wildcards.method)["max_epochs"]
    seeds = len(input.splits)
    return _scaled(10, seeds * epochs * TRAIN_SECONDS_PER_EPOCH_MB / 60, input.size_mb, attempt)


# ---- the tune stage's settings and paths (rules in tune.smk; docs/TUNING.md) ----

# protocol -> validated tuning block (check_config has already refused a bad one, naming the key).
TUNING = tuning_settings(config)
# The adago modules a trial job reaches (adago.codedeps): the trainer's and the tuning package's.
TUNE_CODE = script_code("tune_trial.py")
SELECT_CODE = script_code("select_hyperparameters.py")


def is_tuned(protocol, method):
    """True if the final runs of ``method`` under ``protocol`` take their settings from best.json:
    tuning is enabled and the protocol leaves the method something to tune (not ALS under 'paper')."""
    return TUNING[protocol].enabled and method in TUNING[protocol].spaces


def tuning_dir(w):
    return f"results/tuning/{w.protocol}/{w.dataset}/{w.method}"


def best_json(protocol, dataset, method):
    return f"results/tuning/{protocol}/{dataset}/{method}/best.json"


def all_tuning():
    """trials.csv and best.json of every tuned (protocol, data set, method) of the config."""
    return [
        f"results/tuning/{p}/{d}/{m}/{name}"
        for p in PROTOCOLS
        if TUNING[p].enabled
        for d in DATASETS
        for m in METHODS
        if is_tuned(p, m)
        for name in ("trials.csv", "best.json")
    ]


def tuning_trial_files(w, round_=None):
    ids = budget_trial_ids(TUNING[w.protocol].trials, TUNING[w.protocol].refine_trials)
    return [f"{tuning_dir(w)}/trials/{t}.json" for t in ids if round_ is None or t.startswith(f"r{round_}")]


def tune_trial_input(w):
    # Only the training and validation parts of these splits are read (adago.tuning.evaluate).
    seeds = TUNING[w.protocol].seeds
    inputs = {
        "data": f"results/prepared/{w.dataset}.npz",
        "splits": [f"results/splits/{w.dataset}/seed{s}.npz" for s in seeds],
        "manifests": [f"results/splits/{w.dataset}/seed{s}.json" for s in seeds],
    }
    if w.trial.startswith("r2"):
        inputs["round1_best"] = f"{tuning_dir(w)}/round1.json"
    return inputs


def tune_space(w):
    if w.method not in TUNING[w.protocol].spaces:
        raise ValueError(
            f"{w.method} has nothing to tune under the {w.protocol} protocol "
            f"(open options: none); its runs use hyperparameters.{w.protocol}"
        )
    return space_to_json(TUNING[w.protocol].spaces[w.method])


def tune_base(w):
    space = TUNING[w.protocol].spaces[w.method]
    return {k: v for k, v in run_settings(config, w.protocol, w.dataset, w.method).items() if k not in space}


def train_input(w):
    inputs = {
        "data": f"results/prepared/{w.dataset}.npz",
        "split": f"results/splits/{w.dataset}/seed{w.seed}.npz",
        "manifest": f"results/splits/{w.dataset}/seed{w.seed}.json",
    }
    # With tuning enabled, the tune stage's choice (workflow/rules/tune.smk) replaces the config's values.
    if is_tuned(w.protocol, w.method):
        inputs["best"] = best_json(w.protocol, w.dataset, w.method)
    return inputs
