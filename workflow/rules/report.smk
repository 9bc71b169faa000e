# HTML pages of the tables for `snakemake --report`, which shows HTML inline but offers Markdown and
# CSV only as downloads. The Markdown, CSV and LaTeX files stay the results; these are views of them.


rule render_tables:
    """HTML pages of a protocol's Tables 2-5 and significance tests, shown inline in the report."""
    input:
        **{t: f"results/tables/{{protocol}}/{t}.md" for t in TABLES},
        significance="results/tables/{protocol}/significance.csv",
        # For the footnote naming the software versions of the runs.
        summaries=lambda w: run_summaries(w.protocol),
    output:
        **{
            t: report(
                f"results/tables/{{protocol}}/{t}.html",
                caption=f"../report/{t}.rst",
                category="Tables",
                subcategory="{protocol} protocol",
                # "Tests" sorts after "Table 5" in the report's list.
                labels={
                    "table": t.replace("table", "Table ") if t in TABLES else "Tests (paired, over seeds)",
                    "protocol": "{protocol}",
                },
            )
            for t in [*TABLES, "significance"]
        },
    log:
        "logs/report/{protocol}/render_tables.log",
    params:
        code=script_code("render_tables.py"),
        titles=lambda w: {
            **{t: f"{t.replace('table', 'Table ')} ({w.protocol} protocol)" for t in TABLES},
            "significance": f"Paired tests over seeds, AdaGO against each other method ({w.protocol} protocol)",
        },
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/render_tables.py"


rule render_claims:
    """HTML pages of the claims table and of our numbers beside the paper's, shown inline in the report."""
    input:
        claims="results/tables/claims.md",
        paper_comparison="results/tables/paper_comparison.md",
        summaries=[s for p in PROTOCOLS for s in run_summaries(p)],
    output:
        claims=report(
            "results/tables/claims.html",
            caption="../report/claims.rst",
            category="Claims",
            labels={"table": "claims"},
        ),
        paper_comparison=report(
            "results/tables/paper_comparison.html",
            caption="../report/paper_comparison.rst",
            category="Claims",
            labels={"table": "ours beside the paper's"},
        ),
    log:
        "logs/report/render_claims.log",
    params:
        code=script_code("render_tables.py"),
        titles={"claims": "Claims of the paper", "paper_comparison": "Our results beside the paper's"},
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/render_tables.py"


localrules:
    render_tables,
    render_claims,
