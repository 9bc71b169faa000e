# Runs -> one tidy table per protocol -> Tables 2-5 (CSV, Markdown, LaTeX) and paired significance
# tests per protocol -> the claims table and the comparison with the paper across protocols.
# Cheap, so local.


rule aggregate_runs:
    """Collect every run's summary and benchmark of a protocol into one table (runs.csv)."""
    input:
        summaries=lambda w: run_summaries(w.protocol),
        # Wall time and memory are results in this paper: the benchmark files feed the run table.
        benchmarks=lambda w: run_benchmarks(w.protocol),
    output:
        runs="results/tables/{protocol}/runs.csv",
    log:
        "logs/aggregate/{protocol}/aggregate_runs.log",
    params:
        code=TABLE_CODE,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/aggregate_runs.py"


rule make_tables:
    """Tables 2-5 (CSV, Markdown, LaTeX) and the paired significance tests of a protocol."""
    input:
        runs="results/tables/{protocol}/runs.csv",
        stats=expand("results/prepared/{dataset}.json", dataset=DATASETS),
        manifests=expand("results/splits/{dataset}/seed{seed}.json", dataset=DATASETS, seed=SEEDS[:1]),
    output:
        # The report shows the HTML views of these (report.smk).
        **{f"{t}_{ext}": f"results/tables/{{protocol}}/{t}.{ext}" for t in TABLES for ext in ("csv", "md", "tex")},
        significance="results/tables/{protocol}/significance.csv",
    log:
        "logs/aggregate/{protocol}/make_tables.log",
    params:
        code=TABLE_CODE,
        labels={d: spec(d).label for d in DATASETS},
        methods=METHODS,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/make_tables.py"


rule make_claims:
    """The verdict on each claim of the paper per data set and protocol, and our numbers beside the paper's."""
    input:
        runs=expand("results/tables/{protocol}/runs.csv", protocol=PROTOCOLS),
    output:
        claims_csv="results/tables/claims.csv",
        claims_tex="results/tables/claims.tex",
        claims_md="results/tables/claims.md",
        paper_comparison="results/tables/paper_comparison.md",
    log:
        "logs/aggregate/make_claims.log",
    params:
        code=TABLE_CODE,
        labels={d: spec(d).label for d in DATASETS},
        methods=METHODS,
        protocols=PROTOCOLS,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/make_claims.py"


localrules:
    aggregate_runs,
    make_tables,
    make_claims,
