"""CI runs exactly the README's test command, and that command lints with ruff before testing."""
import re

from tests.support import REPO


def _readme_commands():
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert block, "README.md has no ```bash block with the setup commands"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def _ci_commands():
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines
            if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]


def test_ci_runs_the_readme_test_command():
    readme = _readme_commands()
    assert len(readme) == 2, readme
    assert _ci_commands() == [readme[1]]


def test_the_test_command_runs_ruff_before_pytest():
    steps = [step.strip() for step in _readme_commands()[1].split("&&")]
    assert ".venv/bin/ruff check ." in steps
    pytest_step = next(k for k, s in enumerate(steps) if " -m pytest" in s)
    assert steps.index(".venv/bin/ruff check .") < pytest_step
