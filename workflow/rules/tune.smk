# The tune stage (issue 8; docs/TUNING.md): for each (protocol, data set, method), `tuning.trials`
# settings drawn from the method's search space, each its own cached job, trained on the training
# parts of the `tuning.seeds` splits and scored on their validation parts only. Everything a job
# computes is in adago.tuning; the rules only pass config slices.
#
#   results/tuning/{protocol}/{dataset}/{method}/trials/r1t03.json   one record per trial
#   results/tuning/{protocol}/{dataset}/{method}/round1.json         best of round 1 (if refine_trials)
#   results/tuning/{protocol}/{dataset}/{method}/trials.csv          every trial of the budget
#   results/tuning/{protocol}/{dataset}/{method}/best.json           the choice the final runs read
#
# One job per trial (the equivalent of a Paramspace): the trial id r<round>t<k> names the job, and the
# job draws its values from (sampling seed, round, k, the method's space) itself, so trial k is the same
# whatever the budget and a larger budget only adds jobs. A trial's params are the method's own space
# and settings only: editing one method's space re-runs that method's trials and final runs, nothing else.

from adago.config import tuning_settings
from adago.tuning.space import space_to_json
from adago.tuning.trials import trial_ids as budget_trial_ids

# protocol -> validated tuning block (check_config has already refused a bad one, naming the key).
TUNING = tuning_settings(config)
# The adago modules a trial job reaches (adago.codedeps): the trainer's and the tuning package's.
TUNE_CODE = script_code("tune_trial.py")
SELECT_CODE = script_code("select_hyperparameters.py")


wildcard_constraints:
    trial=r"r[12]t\d\d+",


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
        raise ValueError(f"{w.method} has nothing to tune under the {w.protocol} protocol "
                         f"(open options: none); its runs use hyperparameters.{w.protocol}")
    return space_to_json(TUNING[w.protocol].spaces[w.method])


def tune_base(w):
    space = TUNING[w.protocol].spaces[w.method]
    return {k: v for k, v in run_settings(config, w.protocol, w.dataset, w.method).items() if k not in space}


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
        space=tune_space,
        space_where="tuning.space",
        seeds=lambda w: list(TUNING[w.protocol].seeds),
        sampling_seed=lambda w: TUNING[w.protocol].sampling_seed,
        # The final run's settings without tuning (protocol conventions, config blocks), in 1-5 star
        # units, less the options the space draws: the job converts all to the data's scale. So the
        # trials do not depend on the config's values of what they tune (shipping new values re-runs nothing).
        base=tune_base,
        # The protocol's stopping rule and clipping, as the final runs use them.
        train_options=lambda w: evaluation(config, w.protocol),
        # Declared range, else (None) the tuning seeds' training ratings' range (never test entries').
        rating_range=lambda w: spec(w.dataset).rating_range,
        context=lambda w: {"dataset": w.dataset, "protocol": w.protocol},
        numba_cache=NUMBA_CACHE,
    threads: config["training"]["threads"]
    resources:
        mem_mb=train_mem_mb,
        runtime=tune_runtime,
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
    benchmark:
        "benchmarks/tune/{protocol}/{dataset}/{method}/round1.tsv"
    params:
        code=SELECT_CODE,
        metric=lambda w: TUNING[w.protocol].metric,
        trial_ids=lambda w: [Path(p).stem for p in tuning_trial_files(w, 1)],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
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
    benchmark:
        "benchmarks/tune/{protocol}/{dataset}/{method}/select.tsv"
    params:
        code=SELECT_CODE,
        metric=lambda w: TUNING[w.protocol].metric,
        trial_ids=lambda w: [Path(p).stem for p in tuning_trial_files(w)],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/select_hyperparameters.py"


# Reading a few JSON files: not worth a cluster submission.
localrules:
    select_round1,
    select_hyperparameters,
