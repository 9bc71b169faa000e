# DRAFT (tunelib, issue 8): the tune stage, one cached job per trial. Not included by the Snakefile
# yet: wiring it in needs the `tuning` block in the schema (validated with adago.tuning.settings) and
# train.smk reading best.json["options"] when tuning.enabled. Everything a job computes is in
# adago.tuning; the rules only pass config slices.
#
#   results/tuning/{protocol}/{dataset}/{method}/trials/r1t00.json ...  one record per trial
#   results/tuning/{protocol}/{dataset}/{method}/round1.json            best of round 1 (if refine_trials)
#   results/tuning/{protocol}/{dataset}/{method}/{trials.csv,best.json} every trial, and the choice

from adago.tuning.settings import settings as tuning_settings
from adago.tuning.space import space_to_json
from adago.tuning.trials import trial_ids as budget_trial_ids

# Validated once per protocol while the workflow is parsed: a bad space fails naming its key.
TUNING = {p: tuning_settings(config.get("tuning"), METHODS, p) for p in PROTOCOLS}
# code_hash() globs src/adago/*.py only; the tuning package is a directory.
TUNE_CODE = code_hash(["model", "optimizers", "metrics", "training", "kernels", "dataset"]) + "".join(
    hashlib.sha256(p.read_bytes()).hexdigest()[:8] for p in sorted((SRC / "tuning").glob("*.py"))
)


wildcard_constraints:
    trial=r"r[12]t\d+",


def tuning_dir(w):
    return f"results/tuning/{w.protocol}/{w.dataset}/{w.method}"


def tuning_trial_files(w, round_=None):
    ids = budget_trial_ids(TUNING[w.protocol].trials, TUNING[w.protocol].refine_trials)
    return [f"{tuning_dir(w)}/trials/{t}.json" for t in ids if round_ is None or t.startswith(f"r{round_}")]


def tune_trial_input(w):
    seeds = TUNING[w.protocol].seeds
    inputs = {
        "data": f"results/prepared/{w.dataset}.npz",
        "splits": [f"results/splits/{w.dataset}/seed{s}.npz" for s in seeds],
        "manifests": [f"results/splits/{w.dataset}/seed{s}.json" for s in seeds],
    }
    if w.trial.startswith("r2"):
        inputs["round1_best"] = f"{tuning_dir(w)}/round1.json"
    return inputs


rule tune_trial:
    input:
        unpack(tune_trial_input),
    output:
        trial="results/tuning/{protocol}/{dataset}/{method}/trials/{trial}.json",
    log:
        "logs/tune/{protocol}/{dataset}/{method}/{trial}.log",
    benchmark:
        "benchmarks/tune/{protocol}/{dataset}/{method}/{trial}.tsv"
    params:
        code=TUNE_CODE,
        # Only this method's slice: editing another method's space re-runs none of these trials,
        # and a larger budget adds trials without changing the params of the existing ones.
        space=lambda w: space_to_json(TUNING[w.protocol].spaces[w.method]),
        space_where="tuning.space",
        seeds=lambda w: list(TUNING[w.protocol].seeds),
        sampling_seed=lambda w: TUNING[w.protocol].sampling_seed,
        # The final run's settings without tuning (protocol conventions, config blocks), in 1-5 star
        # units; the drawn values override them and the job converts all to the data's scale.
        base=lambda w: run_settings(config, w.protocol, w.dataset, w.method),
        # The protocol's stopping rule and clipping, as the final runs use them.
        train_options=lambda w: evaluation(config, w.protocol),
        rating_range=lambda w: spec(w.dataset).rating_range,
        context=lambda w: {"dataset": w.dataset, "protocol": w.protocol},
        numba_cache=NUMBA_CACHE,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    # Lets a cluster profile bundle many short trials into one submission (--group-components tune=N).
    group:
        "tune"
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/tune_trial.py"


rule select_round1:
    input:
        trials=lambda w: tuning_trial_files(w, 1),
    output:
        best="results/tuning/{protocol}/{dataset}/{method}/round1.json",
    log:
        "logs/tune/{protocol}/{dataset}/{method}/round1.log",
    params:
        metric=lambda w: TUNING[w.protocol].metric,
        trial_ids=lambda w: [Path(p).stem for p in tuning_trial_files(w, 1)],
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/select_hyperparameters.py"


rule select_hyperparameters:
    input:
        trials=tuning_trial_files,
    output:
        trials="results/tuning/{protocol}/{dataset}/{method}/trials.csv",
        best="results/tuning/{protocol}/{dataset}/{method}/best.json",
    log:
        "logs/tune/{protocol}/{dataset}/{method}/select.log",
    params:
        metric=lambda w: TUNING[w.protocol].metric,
        trial_ids=lambda w: [Path(p).stem for p in tuning_trial_files(w)],
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/select_hyperparameters.py"


localrules:
    select_round1,
    select_hyperparameters,


rule tune:
    input:
        [
            f"results/tuning/{p}/{d}/{m}/best.json"
            for p in PROTOCOLS
            for d in DATASETS
            # a method with nothing open under a protocol (ALS under 'paper') is not tuned
            for m in TUNING[p].spaces
        ],
