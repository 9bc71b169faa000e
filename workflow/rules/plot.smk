# Figures 2-7 (per data set, the configured methods, spread over seeds) and convergence curves.
# Each figure is its own job, so regenerating one never touches the others or the training.


rule plot_figure:
    input:
        runs="results/tables/runs.csv",
    output:
        png=report(
            "figures/figure{fig}.png",
            caption="../report/figure.rst",
            category="Figures 2-7",
            labels={"figure": "{fig}"},
        ),
        pdf="figures/figure{fig}.pdf",
    log:
        "logs/plot/figure{fig}.log",
    params:
        code=FIGURE_CODE,
        labels={d: spec(d).label for d in DATASETS},
        methods=METHODS,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/plot_figure.py"


rule plot_convergence:
    input:
        histories=lambda w: run_histories(w.dataset),
    output:
        png=report(
            "figures/convergence_{dataset}.png",
            caption="../report/convergence.rst",
            category="Convergence",
            labels={"dataset": "{dataset}"},
        ),
        pdf="figures/convergence_{dataset}.pdf",
    log:
        "logs/plot/convergence_{dataset}.log",
    params:
        code=FIGURE_CODE,
        label=lambda w: spec(w.dataset).label,
        methods=METHODS,
        seeds=SEEDS,
    conda:
        "../../envs/adago.yaml"
    script:
        "../scripts/plot_convergence.py"


localrules:
    plot_figure,
    plot_convergence,
