# Train/validation/test split per data set and seed, saved with a checksum manifest so that every
# run of that seed, whatever the method, sees exactly the same entries.


rule split_dataset:
    """Split a data set into training, validation and test entries for one seed, with a checksum manifest."""
    input:
        data="results/prepared/{dataset}.npz",
    output:
        split="results/splits/{dataset}/seed{seed}.npz",
        manifest="results/splits/{dataset}/seed{seed}.json",
    log:
        "logs/split/{dataset}/seed{seed}.log",
    params:
        code=script_code("split.py"),
        options=lambda w: split_options(spec(w.dataset)),
        cold_start=config["split"]["cold_start"],
    resources:
        mem_mb=split_mem_mb,
        runtime=split_runtime,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/split.py"
