# Raw data: checksummed downloads (a local mirror is read first), the ML-1M extraction, and the
# built-in synthetic matrix. A plain rule rather than the HTTP storage plugin, so that a dry run
# never needs the network and offline nodes work from a mirror.


rule download_dataset:
    """Download a built-in data set's file (or copy it from the mirror) and check its checksum."""
    output:
        "data/raw/{source}/{filename}",
    log:
        "logs/download/{source}/{filename}.log",
    params:
        # Only what identifies the file: changing the mirror must not re-run the download. No code
        # hash either: the file is checked against its checksum, so no code edit can change it.
        source=lambda w: download_source(w.source, w.filename),
    wildcard_constraints:
        source="douban|ml1m",
        filename=r"[^/]+\.(mat|zip)",
    retries: 1
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/download.py"


rule extract_movielens:
    """Extract MovieLens-1M's ratings.dat from the downloaded archive."""
    input:
        archive="data/raw/ml1m/ml-1m.zip",
    output:
        ratings="data/raw/ml1m/ratings.dat",
    log:
        "logs/download/ml1m/extract.log",
    params:
        member=source_member("ml1m"),
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/extract_member.py"


rule make_synthetic:
    """Generate the built-in synthetic rating matrix (low rank plus noise) from config key synthetic."""
    output:
        ratings="data/synthetic/ratings.csv",
    log:
        "logs/download/synthetic.log",
    params:
        code=script_code("make_synthetic.py"),
        synthetic=config["synthetic"],
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/make_synthetic.py"


localrules:
    download_dataset,
    extract_movielens,
    make_synthetic,
