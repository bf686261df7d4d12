"""The benchmarks (bench/) are development tooling: only bench.settings installs them, and a
production `manage.py help` lists none of their commands."""

import os
import subprocess
import sys

from tests.security.production import ROOT, run

BENCH_COMMANDS = {"bench", "bench_http", "bench_letters", "bench_reminders"}


def listed_commands(output: str) -> set[str]:
    """The command names of `manage.py help` (indented lines, one name each)."""
    return {line.strip() for line in output.splitlines() if line.startswith("    ")}


def test_manage_py_help_in_production_lists_no_bench_command(tmp_path):
    result = run(["manage.py", "help"], tmp_path)
    assert result.returncode == 0, result.stderr
    commands = listed_commands(result.stdout)
    assert {"migrate", "seed_demo", "plan_reminders"} <= commands  # the listing was read
    assert not commands & BENCH_COMMANDS
    assert "[bench]" not in result.stdout


def test_the_bench_settings_list_the_bench_commands(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert listed_commands(result.stdout) >= BENCH_COMMANDS
    assert "[bench]" in result.stdout
