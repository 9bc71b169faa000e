"""The README's promises that code can check."""

from workflow_helpers import REPO


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci_command = [line for line in (REPO / ".ci/run").read_text().splitlines() if line.startswith("python3 ")]
    assert len(ci_command) == 1 and ci_command[0] in readme
