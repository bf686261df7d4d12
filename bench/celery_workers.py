"""Start and stop Celery processes (workers, beats) of the app in subprocesses: for the
benchmarks and the tests that need a real worker. Development tooling, not used by the app.

Each process runs `celery -A config <command> …` from the project folder in a session of its own
(Ctrl-C reaches the caller, which stops it cleanly; a stop reaches a prefork worker's children),
writes everything it prints to its log file, and is told which broker to use. A worker is ready
when it answers a ping (Celery's remote control), whatever level it logs at.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
PING_TIMEOUT = 0.5  # seconds a ping waits for the worker's answer


def celery_command() -> list[str]:
    """The venv's `celery` script beside this Python, or `python -m celery`."""
    script = Path(sys.executable).with_name("celery")
    return [str(script)] if script.exists() else [sys.executable, "-m", "celery"]


@dataclass
class CeleryProcess:
    process: subprocess.Popen
    argv: list[str]
    log: Path
    broker: str
    node: str | None = None  # a worker's node name, as its ping answers it

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait until the worker answers a ping; returns the seconds waited. Raises with the
        end of its log if it exits or does not answer in time."""
        assert self.node, "only a worker answers pings"
        app = Celery(broker=self.broker, set_as_current=False)
        started = time.monotonic()
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the Celery worker exited ({self.process.returncode}):\n"
                        f"{self.log_text()[-3000:]}"
                    )
                if app.control.ping(destination=[self.node], timeout=PING_TIMEOUT):
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise TimeoutError(
                        f"the Celery worker {self.node} did not answer within {timeout:.0f} s:\n"
                        f"{self.log_text()[-3000:]}"
                    )
        finally:
            app.close()

    def stop(self, timeout: float = 60.0) -> int:
        """Warm shutdown (SIGTERM to its session): a worker finishes the tasks it is running,
        then exits. After `timeout`, SIGKILL, and TimeoutError. Returns the exit code."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(
                f"the Celery process {self.pid} did not stop within {timeout:.0f} s"
            ) from None

    def kill(self) -> int:
        """SIGKILL to its session at once (a worker dying in the middle of a task)."""
        if self.process.poll() is None:
            self._signal(signal.SIGKILL)
        return self.process.wait(10)

    def _signal(self, signum: int) -> None:
        # The session started for it: the process and its children (a prefork pool).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def __enter__(self) -> CeleryProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a Django database's settings (`connection.settings_dict`): for a
    process started here to use the same PostgreSQL database as its caller."""
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}"
    )


def start(
    command: str,
    *args: str,
    log: Path,
    broker: str,
    env: dict[str, str] | None = None,
    name: str | None = None,
) -> CeleryProcess:
    """`celery -A config <command> [-n <name>@%h] <args>` with CELERY_BROKER_URL=`broker` and
    `env` over this process's environment; its output goes to `log` (overwritten)."""
    argv = [*celery_command(), "-A", "config", command]
    node = None
    if name is not None:
        argv += ["-n", f"{name}@%h"]
        node = f"{name}@{socket.gethostname()}"  # what Celery makes of %h
    argv += args
    environment = {**os.environ, "CELERY_BROKER_URL": broker, **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=environment,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return CeleryProcess(process=process, argv=argv, log=log, broker=broker, node=node)


def start_worker(
    *args: str,
    name: str,
    queue: str,
    log: Path,
    broker: str,
    env: dict[str, str] | None = None,
) -> CeleryProcess:
    """A worker consuming only `queue` (its send tasks go there too: CELERY_TASK_DEFAULT_QUEUE),
    named `name@<host>`, without gossip or mingle (nothing here needs them; they slow the start)."""
    return start(
        "worker",
        "-Q",
        queue,
        "--without-gossip",
        "--without-mingle",
        *args,
        log=log,
        broker=broker,
        name=name,
        env={"CELERY_TASK_DEFAULT_QUEUE": queue, **(env or {})},
    )


def start_beat(
    *args: str, schedule: Path, log: Path, broker: str, env: dict[str, str] | None = None
) -> CeleryProcess:
    """A beat with its own schedule file (as on another machine)."""
    return start("beat", "--schedule", str(schedule), *args, log=log, broker=broker, env=env)
