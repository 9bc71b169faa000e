"""Gather a method's trial records; write trials.csv (if asked) and best.json (the chosen values)."""

from adago.rulelog import run_logged
from adago.tuning.records import check_trials, read_trial, select_best, trials_table, write_json, write_trials_csv


def main(log):
    paths = list(snakemake.input.trials)
    records = [read_trial(path) for path in paths]
    check_trials(records, paths, expected_ids=snakemake.params.trial_ids)
    best = select_best(records, snakemake.params.metric)
    if "trials" in snakemake.output.keys():
        write_trials_csv(snakemake.output.trials, trials_table(records))
    write_json(snakemake.output.best, best)
    log.info("%s: %d trials (%d diverged); best %s %s with %s %.5f", best["method"], best["n_trials"],
             best["n_diverged"], best["trial_id"], best["hyperparameters"], best["metric"], best["score"])


run_logged(main, snakemake.log[0])
