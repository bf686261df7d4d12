"""Run Django with APP_ENV=production in a subprocess: the production branch of settings.py is
read at import, so override_settings could not show what it really sets."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from patients.reminders.channels.push import new_vapid_keys

ROOT = Path(__file__).resolve().parents[2]


VAPID_KEYS = new_vapid_keys()


def production_env(var_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "EMAIL_", "DEBUG", "CSRF_"))
    }
    env.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="care.example.org,testserver",
        DATABASE_URL=f"sqlite:///{var_dir / 'production.sqlite3'}",
        VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONDONTWRITEBYTECODE="1",
        # Production refuses to start without push keys and a real mailto: subject.
        VAPID_PUBLIC_KEY=VAPID_KEYS[0],
        VAPID_PRIVATE_KEY=VAPID_KEYS[1],
        VAPID_SUBJECT="mailto:ops@care.example.org",
    )
    return env


def run(
    args: list[str], var_dir: Path, *, env: dict[str, str] | None = None, **kwargs
) -> subprocess.CompletedProcess:
    """`env` adds to (or, with "", empties) the production environment."""
    environment = production_env(var_dir) | (env or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={key: value for key, value in environment.items() if value != ""},
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def run_json(script: str, var_dir: Path):
    """Run `script` under production settings; it prints one JSON document last."""
    result = run(["-c", script], var_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
