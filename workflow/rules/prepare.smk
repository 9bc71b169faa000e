# One compact, documented format per data set (adago.dataset.RatingMatrix as .npz, ids remapped)
# and the Table 2 statistics computed from the data.


rule prepare_dataset:
    input:
        raw=lambda w: dataset_raw(w.dataset),
    output:
        data="results/prepared/{dataset}.npz",
        stats="results/prepared/{dataset}.json",
    log:
        "logs/prepare/{dataset}.log",
    params:
        code=PREPARE_CODE,
        options=lambda w: prepare_options(spec(w.dataset)),
    resources:
        mem_mb=prepare_mem_mb,
        runtime=prepare_runtime,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/prepare.py"
