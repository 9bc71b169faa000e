# Runs -> one tidy table per protocol -> Tables 2-5 (CSV, Markdown, LaTeX) and paired significance
# tests per protocol -> the claims table and the comparison with the paper across protocols; last, the
# check that the reproduction is complete. Cheap, so local.
#
# Every step checks what it reads (adago.runio): aggregate_runs that each run is present, complete
# (history and summary agree) and is the run the config asks for (its `expected` param: settings of
# every run, which also re-makes the tables when any of them changes) on today's split; the table and
# figure rules that runs.csv holds exactly the runs of the config.


rule aggregate_runs:
    """Collect every run's summary and benchmark of a protocol into one table (runs.csv)."""
    input:
        summaries=lambda w: run_summaries(w.protocol),
        histories=lambda w: [h for d in DATASETS for h in run_histories(w.protocol, d)],
        # Wall time and memory are results in this paper: the benchmark files feed the run table.
        benchmarks=lambda w: run_benchmarks(w.protocol),
        # Each run must have been trained on the split that is there now.
        manifests=run_manifests(),
    output:
        runs="results/tables/{protocol}/runs.csv",
    log:
        "logs/aggregate/{protocol}/aggregate_runs.log",
    params:
        code=script_code("aggregate_runs.py"),
        expected=lambda w, output: expected_runs(w.protocol, prefix=output_prefix(output)),
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
        code=script_code("make_tables.py"),
        labels={d: spec(d).label for d in DATASETS},
        methods=METHODS,
        seeds=SEEDS,
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
        code=script_code("make_claims.py"),
        labels={d: spec(d).label for d in DATASETS},
        methods=METHODS,
        protocols=PROTOCOLS,
        seeds=SEEDS,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/make_claims.py"


# Last: tables and figures are made for every run that finished, diverged runs counted and marked in
# them; this check then fails (non-zero exit, naming each diverged run, its log and the settings to
# change) so that a partial result is never taken for a whole one. It reads the runs.csv files (each
# checked against the config) and waits for one output of every table and figure job, so its job
# listing stays short. Its output exists only when every run the config asks for is complete.
rule check_results:
    """Last: fail naming every run that diverged; write results/complete.json only when every run finished."""
    input:
        runs=expand("results/tables/{protocol}/runs.csv", protocol=PROTOCOLS),
        after=last_outputs(),
    output:
        COMPLETE,
    log:
        "logs/aggregate/check_results.log",
    params:
        code=script_code("check_results.py"),
        expected=[{"protocol": p, "datasets": DATASETS, "methods": METHODS, "seeds": SEEDS} for p in PROTOCOLS],
        # Patterns, not expanded here: the script fills them in per diverged run.
        run_dir=lambda w: run_dir("{protocol}", "{dataset}", "{method}", "{seed}"),
        train_log=lambda w: TRAIN_LOG,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/check_results.py"


localrules:
    aggregate_runs,
    make_tables,
    make_claims,
    check_results,
