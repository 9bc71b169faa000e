# One training job per (data set, method, seed) on the Numba core.

NUMBA_CACHE = "results/.numba_cache"


# Numba compiles on first use and caches to disk; many jobs compiling the same kernels at once can
# race on the cache files, so one job compiles every kernel variant the runs will use first.
rule compile_kernels:
    input:
        code=TRAIN_CODE,
    output:
        done=f"{NUMBA_CACHE}/compiled.json",
    log:
        "logs/train/compile_kernels.log",
    params:
        variants=lambda w: [hyperparameters(config, d, m) for d in DATASETS for m in METHODS],
        numba_cache=NUMBA_CACHE,
    script:
        "../scripts/compile_kernels.py"



rule train:
    input:
        data="results/prepared/{dataset}.npz",
        split="results/splits/{dataset}/seed{seed}.npz",
        manifest="results/splits/{dataset}/seed{seed}.json",
        code=TRAIN_CODE,
        # ancient(): recompiling (e.g. after a new method was added) must not re-run finished runs.
        compiled=ancient(f"{NUMBA_CACHE}/compiled.json"),
    output:
        history="results/runs/{dataset}/{method}/seed{seed}/history.csv",
        summary="results/runs/{dataset}/{method}/seed{seed}/summary.json",
    log:
        "logs/train/{dataset}/{method}/seed{seed}.log",
    benchmark:
        "benchmarks/train/{dataset}/{method}/seed{seed}.tsv"
    params:
        # Only this run's slice of the config: editing another method's settings re-runs nothing here.
        hyperparameters=lambda w: hyperparameters(config, w.dataset, w.method),
        numba_cache=NUMBA_CACHE,
    threads: config["training"]["threads"]
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/train.py"
