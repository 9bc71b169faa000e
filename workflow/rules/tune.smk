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


wildcard_constraints:
    trial=r"r[12]t\d\d+",


rule tune_trial:
    """Train one trial's hyperparameters on the tuning seeds' training parts; score them on validation only."""
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
        numba_cache=numba_cache,
    threads: config["training"]["threads"]
    resources:
        mem_mb=train_mem_mb,
        runtime=tune_runtime,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/tune_trial.py"


rule select_round1:
    """Pick the best trial of round 1, around which round 2 draws its trials."""
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
    """Tabulate every trial of one method (trials.csv) and choose its hyperparameters by validation score (best.json)."""
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
