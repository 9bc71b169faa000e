"""The directory the workflow writes to under config key output_dir (adago.outputdir)."""

from __future__ import annotations

import json

from adago.outputdir import ENV, output_directory


def test_the_first_evaluation_fixes_output_dir_against_the_start_directory():
    env = {}
    assert output_directory("demo", environ=env, cwd="/work/repo") == "/work/repo/demo"
    assert json.loads(env[ENV]) == {"output_dir": "demo", "path": "/work/repo/demo"}


def test_later_evaluations_keep_it_wherever_they_run():
    # The second evaluation in a SLURM job runs inside demo/ already; a job that inherits the
    # environment may start anywhere. Neither may move the directory.
    env = {}
    first = output_directory("demo", environ=env, cwd="/work/repo")
    assert output_directory("demo", environ=env, cwd="/work/repo/demo") == first
    assert output_directory("demo", environ=dict(env), cwd="/scratch/node7") == first


def test_another_value_or_a_foreign_record_is_replaced():
    env = {}
    output_directory("demo", environ=env, cwd="/work/repo")
    assert output_directory("out/quick", environ=env, cwd="/work/repo") == "/work/repo/out/quick"
    for foreign in ("/somewhere/else", "{}", '{"output_dir": "demo"}'):
        env = {ENV: foreign}
        assert output_directory("demo", environ=env, cwd="/a") == "/a/demo"
        assert json.loads(env[ENV])["path"] == "/a/demo"


def test_an_absolute_output_dir_is_kept():
    assert output_directory("/data/runs/demo", environ={}, cwd="/work/repo") == "/data/runs/demo"
