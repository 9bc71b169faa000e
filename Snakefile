# Reproduction of "AdaGO" (Gauss-Newton-diagonal Adam for latent-factor recommenders):
# download -> prepare -> split -> tune (per data set, method, trial) -> train (per data set, method,
# seed) -> tables 2-5 -> figures 2-7 -> a final check that every run finished.
import os
import sys

from snakemake.common.configfile import load_configfile
from snakemake.utils import min_version, update_config

min_version("8.20")


# What `snakemake --report` shows first: what was run, on which data, how to read it.
report: "workflow/report/workflow.rst"


##### configuration #####
# The shipped config/config.yaml (found beside this file whatever --directory is used) is the base;
# --configfile files, --config, or the `config:` of a workflow that uses this one as a module
# override it key by key. Not a `configfile:` directive: Snakemake skips those inside a module.
_config = load_configfile(workflow.source_path("config/config.yaml"))
update_config(_config, config)
config.update(_config)


##### setup: the adago package, validation, wildcard constraints and helpers #####
# Rule scripts import this checkout's src/adago (also without `pip install -e .`, and inside
# --use-conda environments, which hold only third-party packages): jobs inherit PYTHONPATH.
# current_basedir is this file's directory also in a module, where workflow.basedir is the outer
# workflow's; a remote module (github(...)) has no local src/ and uses the installed package.
_SRC_ROOT = os.path.join(str(workflow.current_basedir), "src")
if os.path.isdir(_SRC_ROOT):
    sys.path.insert(0, _SRC_ROOT)
    os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [_SRC_ROOT, os.getenv("PYTHONPATH")])))


include: "workflow/rules/common.smk"


# Everything the workflow writes goes under config key output_dir if set: the quick demo
# (config/quick.yaml) writes to demo/ and never overwrites the full reproduction's files.
# A --directory given on the command line wins (Snakemake then ignores workdir). The directory is
# fixed once, as an absolute path that spawned jobs inherit: Snakemake evaluates this file more than
# once per process, and a relative workdir put the demo's cluster jobs in demo/demo (adago.outputdir).
if config["output_dir"]:
    from adago.outputdir import output_directory

    workdir: output_directory(config["output_dir"])


##### load rules #####
include: "workflow/rules/download.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/tune.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/report.smk"


##### target rules #####
# Each target also lists the run files that are missing under existing tables: stale_run_files() in common.smk.
rule all:
    """Everything: Tables 2-5, significance and claims tables, Figures 2-7 and convergence curves per protocol."""
    input:
        tables=all_tables(),
        figures=all_figures(),
        runs=stale_run_files,
        complete=COMPLETE,
    default_target: True


rule download:
    """Only the raw data of the configured data sets (checksummed; a local mirror is read first)."""
    input:
        [dataset_raw(d) for d in config["datasets"] if dataset_kind(d) == "download"],


# Only the tune stage: every trials.csv and best.json of the config (tuning.enabled: true).
rule tune:
    """Only the tune stage: every trial, trials.csv and best.json of each tuned method (no final runs)."""
    input:
        all_tuning(),


rule tables:
    """Only the tables (and the training runs they need), no figures."""
    input:
        all_tables(),
        stale_run_files,


rule figures:
    """Only the figures (and the training runs they need)."""
    input:
        all_figures(),
        stale_run_files,
