# Runs -> one tidy table -> Tables 2-5 (CSV, Markdown, LaTeX), the comparison with the paper and
# paired significance tests. Cheap, so local.


rule aggregate_runs:
    input:
        summaries=run_summaries(),
        # Wall time and memory are results in this paper: the benchmark files feed the run table.
        benchmarks=run_benchmarks(),
    output:
        runs="results/tables/runs.csv",
    log:
        "logs/aggregate/aggregate_runs.log",
    params:
        code=TABLE_CODE,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/aggregate_runs.py"


rule make_tables:
    input:
        runs="results/tables/runs.csv",
        stats=expand("results/prepared/{dataset}.json", dataset=DATASETS),
        manifests=expand("results/splits/{dataset}/seed{seed}.json", dataset=DATASETS, seed=SEEDS[:1]),
    output:
        **{f"{t}_{ext}": f"results/tables/{t}.{ext}" for t in TABLES for ext in ("csv", "tex")},
        **{
            f"{t}_md": report(f"results/tables/{t}.md", caption=f"../report/{t}.rst", category="Tables")
            for t in TABLES
        },
        paper_comparison=report(
            "results/tables/paper_comparison.md",
            caption="../report/paper_comparison.rst",
            category="Tables",
        ),
        significance="results/tables/significance.csv",
    log:
        "logs/aggregate/make_tables.log",
    params:
        code=TABLE_CODE,
        labels={d: spec(d).label for d in DATASETS},
        methods=METHODS,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/make_tables.py"


localrules:
    aggregate_runs,
    make_tables,
