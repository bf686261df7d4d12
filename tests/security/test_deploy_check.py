"""`manage.py check --deploy` is clean with production settings: not one warning."""

import subprocess
import sys

from tests.security.production import ROOT, production_env, run

# A shared cache (Redis) is required in production (issue 17, item 4); the check does not
# connect to it.
SHARED_CACHE = {"CACHE_URL": "redis://127.0.0.1:6379/15"}


def test_check_deploy_has_nothing_to_say_in_production(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, env=SHARED_CACHE
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


def test_production_refuses_to_start_without_its_secret_key(tmp_path):
    """No production secret has a default: without SECRET_KEY the settings fail loudly."""
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_check_deploy_refuses_a_cache_kept_by_each_process(tmp_path):
    # Before: no check; each web process counted the verification page's limit alone.
    result = run(["manage.py", "check", "--deploy"], tmp_path, env={"CACHE_URL": ""})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "patients.E017" in output and "CACHE_URL" in output
