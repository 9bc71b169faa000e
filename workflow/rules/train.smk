# One training job per (protocol, data set, method, seed) on the Numba core; the splits are shared
# by both protocols. A run that diverges is recorded as such (its summary says where and why) instead of
# failing its job, so everything else is still tabulated; check_results then fails the workflow.


rule train:
    """Train one method on one data set and seed under one protocol; write its per-epoch history and summary."""
    input:
        unpack(train_input),
    output:
        history="results/runs/{protocol}/{dataset}/{method}/seed{seed}/history.csv",
        summary="results/runs/{protocol}/{dataset}/{method}/seed{seed}/summary.json",
    log:
        TRAIN_LOG,
    benchmark:
        "benchmarks/train/{protocol}/{dataset}/{method}/seed{seed}.tsv"
    params:
        code=script_code("train.py"),
        # Only this run's slice of the config: editing another protocol's or method's settings
        # re-runs nothing here.
        # (None when tuned: the settings are best.json's, an input.)
        hyperparameters=lambda w: (
            None if is_tuned(w.protocol, w.method) else run_settings(config, w.protocol, w.dataset, w.method)
        ),
        # Stopping rule and clipping of the protocol.
        evaluation=lambda w: evaluation(config, w.protocol),
        # Declared range, else (None) the training ratings' own range: never the test entries'.
        # Used only when the protocol clips.
        rating_range=lambda w: spec(w.dataset).rating_range,
        numba_cache=numba_cache,
    threads: config["training"]["threads"]
    resources:
        mem_mb=train_mem_mb,
        runtime=train_runtime,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/train.py"
