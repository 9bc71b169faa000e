# Figures 2-7 (per data set, the configured methods, spread over seeds, the paper's values beside
# ours) and convergence curves, per protocol. Each figure is its own rule (its own report caption)
# and job, so regenerating one never touches the others or the training.

# Figures 2-4 (RMSE) and 5-7 (MAE): test error, epochs and seconds to the best validation error.
_FIGURE_TOPIC = ["test", "epochs to the best validation", "seconds to the best validation"]

for _fig in range(2, 8):

    rule:
        f"""Figure {_fig} of the paper for a protocol: {_FIGURE_TOPIC[(_fig - 2) % 3]} {'RMSE' if _fig < 5 else 'MAE'} per data set and method."""
        name:
            f"plot_figure{_fig}"
        input:
            runs="results/tables/{protocol}/runs.csv",
        output:
            png=report(
                f"figures/{{protocol}}/figure{_fig}.png",
                caption=f"../report/figure{_fig}.rst",
                category="Figures 2-7",
                subcategory="{protocol} protocol",
                labels={"figure": str(_fig), "protocol": "{protocol}"},
            ),
            pdf=f"figures/{{protocol}}/figure{_fig}.pdf",
        log:
            f"logs/plot/{{protocol}}/figure{_fig}.log",
        params:
            code=script_code("plot_figure.py"),
            number=_fig,
            labels={d: spec(d).label for d in DATASETS},
            methods=METHODS,
            seeds=SEEDS,
        localrule: True
        conda:
            "../../envs/adago.yaml"
        script:
            "../scripts/plot_figure.py"


rule plot_convergence:
    """Validation RMSE against epoch and against seconds for every run of a data set, best epochs marked."""
    input:
        histories=lambda w: run_histories(w.protocol, w.dataset),
        summaries=lambda w: [h.replace("history.csv", "summary.json") for h in run_histories(w.protocol, w.dataset)],
    output:
        png=report(
            "figures/{protocol}/convergence_{dataset}.png",
            caption="../report/convergence.rst",
            category="Convergence",
            subcategory="{protocol} protocol",
            labels={"dataset": "{dataset}", "protocol": "{protocol}"},
        ),
        pdf="figures/{protocol}/convergence_{dataset}.pdf",
    log:
        "logs/plot/{protocol}/convergence_{dataset}.log",
    params:
        code=script_code("plot_convergence.py"),
        label=lambda w: spec(w.dataset).label,
        methods=METHODS,
        seeds=SEEDS,
        # The runs read must be the ones the config asks for (adago.runio.check_runs).
        expected=lambda w, output: expected_runs(w.protocol, [w.dataset], prefix=output_prefix(output)),
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/plot_convergence.py"


localrules:
    plot_convergence,
