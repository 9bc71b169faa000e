"""The report, built in an environment installed exactly as the README says (`pip install -e .` in
a fresh venv, no test extras), shows the workflow description, every table inline and a caption per figure."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from workflow_helpers import REPO, make_workdir

pytestmark = pytest.mark.workflow

CONFIG = {
    "protocol": ["tuned"],
    "datasets": ["synthetic"],
    "methods": ["adago", "sgd"],
    "seeds": [1, 2],
    "max_epochs": 4,
    "training": {"stopping": {"min_epochs": 0}},
    "synthetic": {"users": 120, "items": 90, "ratings": 3000, "rank": 3, "noise_std": 0.2, "seed": 0},
}


def readme_install_command() -> str:
    """The install step of the README's reproduction command."""
    readme = (REPO / "README.md").read_text()
    match = re.search(r"^python3 -m venv \.venv && \. \.venv/bin/activate && (pip install -e \.) && snakemake --cores 2$",
                      readme, flags=re.M)
    assert match, "README.md: the reproduction command changed; update this test"
    return match.group(1)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    clone = make_workdir(tmp_path_factory.mktemp("clone"), CONFIG)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, clone / name)
    venv = clone / ".venv"
    # A venv of its own, without --system-site-packages: only what `pip install -e .` brings is there.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv), PYTHONUNBUFFERED="1")

    def run(command: str, timeout: float = 1200) -> subprocess.CompletedProcess:
        result = subprocess.run(command, shell=True, cwd=clone, env=env, capture_output=True, text=True,
                                timeout=timeout)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        return result

    run(readme_install_command())
    assert not subprocess.run([venv / "bin/python", "-c", "import pytest"], capture_output=True).returncode == 0, \
        "the README's install must not bring the test extras"
    run("snakemake --cores 2 --configfile test-config.yaml")
    run("snakemake --report report.html --configfile test-config.yaml")
    return (clone / "report.html").read_text(encoding="utf-8")


def test_the_readme_install_builds_the_report(report):
    assert len(report) > 100_000


def test_the_report_opens_with_the_workflow_description_filled_from_the_config(report):
    assert "What was run." in report and "How to read it." in report
    text = re.sub(r"\s+|\\n", " ", report)
    assert "Data sets: synthetic. Methods: adago, sgd. Seeds: 1, 2 " in text


def test_every_table_is_an_inline_html_page_with_a_caption(report):
    for table in ("table2", "table3", "table4", "table5", "significance"):
        assert f"results/tables/tuned/{table}.html" in report
    assert "results/tables/claims.html" in report and "results/tables/paper_comparison.html" in report
    # Markdown would only be a download: the HTML views are the report's results instead (a job's
    # inputs, listed with the job, may still name the Markdown).
    assert '"results/tables/tuned/table4.html": {"name"' in report
    assert '"results/tables/tuned/table4.md": {"name"' not in report and '"results/tables/claims.md": {"name"' not in report
    assert "Paired tests over seeds under the tuned protocol" in report


def test_every_figure_has_its_own_caption(report):
    for number in range(2, 8):
        assert f"figures/tuned/figure{number}.png" in report
        assert f"Figure {number} of the paper, reproduced under the tuned protocol" in report
    assert "figures/tuned/convergence_synthetic.png" in report
