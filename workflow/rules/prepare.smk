# One compact, documented format per data set (adago.dataset.RatingMatrix as .npz, ids remapped)
# and the Table 2 statistics computed from the data.


rule prepare_dataset:
    """Read a data set's raw file, check it, remap ids and write it with its Table 2 statistics."""
    input:
        raw=lambda w: dataset_raw(w.dataset),
    output:
        data="results/prepared/{dataset}.npz",
        stats="results/prepared/{dataset}.json",
    log:
        "logs/prepare/{dataset}.log",
    params:
        code=script_code("prepare.py"),
        options=lambda w: prepare_options(spec(w.dataset)),
        # Changes whenever the data does, also for a file replaced by an older one (adago.fingerprint),
        # which Snakemake's newer-than-output check would miss. From the wildcards, not `input`:
        # Snakemake leaves params computed from `input` out of its params-changed check.
        input_data=lambda w: file_fingerprint(dataset_raw(w.dataset)),
    resources:
        mem_mb=prepare_mem_mb,
        runtime=prepare_runtime,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/prepare.py"
