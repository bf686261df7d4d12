"""Over HTTP, as served in production: gunicorn, whitenoise, DEBUG off, Redis cache.

Starts `gunicorn config.wsgi` with the Procfile's options (2 sync workers, its config file) and
`APP_ENV=production` on a free port, with a bench-only environment (secret key, host, no HTTPS
redirect: there is no TLS proxy here) and `bench.settings`, which only adds the
hello-world view of bench/urls.py. Then, on the data `manage.py bench` made:

1. memory: the resident size (VmRSS) of each worker after 1,000 and after 10,000 requests;
2. wrk -t2 -c16 --latency: requests/s and p99 of hello world, an article and the patient
   dashboard (a session of the bench patient in the Cookie header), in the same run;
3. Lighthouse (the npm package, Debian's Chromium): performance, accessibility and best
   practices of the dashboard and an article; and what the pages load (one CSS file, htmx the
   only script, no web font).

Each part writes its section of BENCHMARKS.md; a part whose tool is missing (wrk, lighthouse,
chromium) writes down that it was skipped and why, and the command still succeeds.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test import Client, override_settings

from bench.management.commands.bench import ARTICLE, machine, write_section
from bench.management.commands.bench import Command as PagesBench
from patients.reminders.channels.push import new_vapid_keys

HOST = "127.0.0.1"
HELLO = "/bench/hello"
ARTICLE_URL = f"/en/articles/{ARTICLE}/"
DASHBOARD = "/dashboard/"
WORKERS = 2  # the Procfile's default (WEB_CONCURRENCY)
# Targets of issue #8.
ARTICLE_SHARE, DASHBOARD_SHARE, P99_MS, RSS_GROWTH = 0.5, 0.2, 100, 0.10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children (its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def parse_wrk(output: str) -> tuple[float, float]:
    """(requests/s, p99 ms) from `wrk --latency`."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses:\n{output}")
    return rate, p99


class Command(BaseCommand):
    help = "gunicorn under wrk, worker memory and Lighthouse scores; writes BENCHMARKS.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", default=str(settings.BASE_DIR / "BENCHMARKS.md"))
        parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--memory-requests", type=int, default=10_000)
        parser.add_argument(
            "--only",
            choices=["lighthouse"],
            help="run only this part (the other sections of BENCHMARKS.md are kept)",
        )
        parser.add_argument(
            "--cache-url",
            default=os.environ.get("BENCH_CACHE_URL", ""),
            help="redis:// URL of the production cache (default: none, each worker its own)",
        )

    def handle(self, *args, output: str, duration: int, connections: int, **options) -> None:
        self.output = output
        self.command = (
            "`DATABASE_URL=sqlite:///$PWD/var/bench.sqlite3 BENCH_CACHE_URL=… "
            ".venv/bin/python manage.py bench_http`"
        )
        self.cache_url = self._reachable(options["cache_url"])
        self.secret_key = "bench-only-" + os.urandom(16).hex()
        # Production settings refuse to start without VAPID keys: the bench's own, made here
        # (unless the environment gives some), as it makes its own secret key.
        public, private = new_vapid_keys()
        self.vapid = {
            "VAPID_PUBLIC_KEY": os.environ.get("VAPID_PUBLIC_KEY") or public,
            "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY") or private,
            "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT") or "mailto:bench@interleukin-care.org",
        }
        cookie = self._bench_session()
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        self._collectstatic()
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        server = self._start_gunicorn()
        try:
            if options.get("only") != "lighthouse":
                self._memory(server, options["memory_requests"])
                self._http(duration, connections)
            self._lighthouse()
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        self.stdout.write(f"Wrote {output}")

    # --- set-up ---------------------------------------------------------------------------------

    def _bench_session(self) -> str:
        """The bench patient (made by `manage.py bench` if it is not there) and a session."""
        call_command("load_catalogue", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("load_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
        patient, _treatment = PagesBench()._patient_with_history()
        client = Client()
        # A session row in the database the workers read, signed with the server's key.
        with override_settings(SECRET_KEY=self.secret_key):
            client.force_login(patient)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    def _reachable(self, url: str) -> str:
        """The cache URL when a Redis answers there, else "" (each worker its own cache)."""
        if not url:
            return ""
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except (redis.RedisError, OSError) as error:
            self.stdout.write(self.style.WARNING(f"No Redis at {url} ({error}): local caches."))
            return ""
        return url

    def _environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "APP_ENV": "production",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front of the bench
            "LOG_LEVEL": "INFO",  # one JSON line per request, as in production
            "CACHE_URL": self.cache_url,
            **self.vapid,
        }
        return env

    def _collectstatic(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            env=self._environment(),
            cwd=settings.BASE_DIR,
            check=True,
        )

    def _start_gunicorn(self) -> subprocess.Popen:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        # The Procfile's web line (config/gunicorn.conf.py: sync workers, no access log, the
        # app's JSON request lines) on a free port, without recycling: the memory figure must
        # follow one worker through its 10,000 requests (production recycles at about 2,000).
        argv = [str(gunicorn), "config.wsgi", "--config", "config/gunicorn.conf.py"]
        argv += ["--bind", f"{HOST}:{self.port}", "--workers", str(WORKERS), "--max-requests", "0"]
        self.gunicorn_line = " ".join(["gunicorn", *argv[1:]])
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115
        server = subprocess.Popen(
            argv,
            env=self._environment(),
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self._get(HELLO)[0] == 200 and len(worker_pids(server.pid)) == WORKERS:
                    return server
            except OSError:
                pass
            if server.poll() is not None:
                break
            time.sleep(0.2)
        server.kill()
        self.log.seek(0)
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read().decode()[-3000:]}")

    def _get(self, path: str, cookie: str = "") -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def _header(self, title: str) -> list[str]:
        return [
            f"## {title}",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine()}; load average before the part {os.getloadavg()[0]:.1f} "
            "(other processes share the 2 cores: read the ratios)",
            f"- command: `make bench`, which runs {self.command}",
            f"- server: `{self.gunicorn_line}` (the Procfile's web line on a free port) with "
            "`APP_ENV=production DEBUG=0 SECURE_SSL_REDIRECT=0` (no TLS proxy here) and "
            "`DJANGO_SETTINGS_MODULE=bench.settings` (the same settings plus the "
            "hello-world view); whitenoise with compressed, hashed static files; cache: "
            + (
                f"Redis (`CACHE_URL={self.cache_url}`)"
                if self.cache_url
                else "each worker's local memory (no BENCH_CACHE_URL)"
            )
            + "; SQLite `var/bench.sqlite3` (the data of `manage.py bench`)",
        ]

    # --- memory ---------------------------------------------------------------------------------

    def _memory(self, server: subprocess.Popen, total: int) -> None:
        """Worker RSS after 1,000 and after `total` requests of a mix of pages."""
        paths = [(DASHBOARD, self.cookie), (ARTICLE_URL, ""), (HELLO, ""), ("/en/glossary/", "")]

        def one(n: int) -> int:
            status, _headers, _body = self._get(*paths[n % len(paths)])
            return status

        def drive(start: int, stop: int) -> None:
            with ThreadPoolExecutor(4) as pool:
                statuses = list(pool.map(one, range(start, stop)))
            bad = [s for s in statuses if s != 200]
            if bad:
                raise RuntimeError(f"{len(bad)} requests failed: {sorted(set(bad))}")

        pids = worker_pids(server.pid)
        started = {pid: rss_kib(pid) for pid in pids}
        first = 1_000
        drive(0, first)
        after_first = {pid: rss_kib(pid) for pid in pids}
        began = time.monotonic()
        drive(first, total)
        seconds = time.monotonic() - began
        after_all = {pid: rss_kib(pid) for pid in pids}
        if worker_pids(server.pid) != pids:
            raise RuntimeError("a worker was replaced during the memory run")
        growth = sum(after_all.values()) / sum(after_first.values()) - 1
        lines = self._header("Memory of a web worker (gunicorn, production settings)")
        lines += [
            f"- requests: {total:,} over 4 client threads, in turn the patient dashboard "
            "(signed in), an article and the glossary (signed out) and hello world; the "
            f"{WORKERS} workers share them (about half each); {total - first:,} of them took "
            f"{seconds:.0f} s",
            "- figure: VmRSS of each worker process (from /proc/<pid>/status)",
            "",
            "| worker | at start MiB | after 1,000 requests MiB | "
            f"after {total:,} requests MiB | growth from 1,000 |",
            "|---|---:|---:|---:|---:|",
        ]
        for n, pid in enumerate(pids, start=1):
            lines.append(
                f"| {n} | {started[pid] / 1024:.1f} | {after_first[pid] / 1024:.1f} | "
                f"{after_all[pid] / 1024:.1f} | {after_all[pid] / after_first[pid] - 1:+.1%} |"
            )
        verdict = "met" if abs(growth) <= RSS_GROWTH else "NOT met"
        lines += [
            "",
            f"- target: after {total:,} requests within {RSS_GROWTH:.0%} of the size after "
            f"1,000: {verdict} ({growth:+.1%} for the workers together)",
        ]
        write_section(self.output, "memory", lines)
        self.stdout.write(f"memory: {growth:+.1%} from 1,000 to {total:,} requests")

    # --- wrk ------------------------------------------------------------------------------------

    def _http(self, duration: int, connections: int) -> None:
        title = "HTTP (gunicorn under wrk)"
        wrk = shutil.which("wrk")
        if wrk is None:
            why = "`wrk` is not installed (Debian: `apt-get install wrk`)"
            write_section(self.output, "http", [*self._header(title), f"- **skipped**: {why}"])
            self.stdout.write(self.style.WARNING(f"SKIPPED {title}: {why}"))
            return
        pages = [
            ("hello world (reference)", HELLO, ""),
            ("article (signed out)", ARTICLE_URL, ""),
            ("patient dashboard (5 years of weekly doses, signed in)", DASHBOARD, self.cookie),
        ]
        for _name, path, cookie in pages:
            status, _headers, _body = self._get(path, cookie)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
        argv = [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
        self.wrk_line = " ".join(["wrk", *argv[1:]])
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _p, _c in pages}
        # Two rounds, the pages in turn, so a load that comes and goes touches each of them.
        for _round in range(2):
            for name, path, cookie in pages:
                headers = ["-H", f"Cookie: {cookie}"] if cookie else []
                warm = [wrk, "-t2", f"-c{connections}", "-d2s", *headers, self.base + path]
                subprocess.run(warm, check=True, capture_output=True)
                done = subprocess.run(
                    [*argv, *headers, self.base + path], check=True, capture_output=True, text=True
                )
                results[name].append(parse_wrk(done.stdout))
        best = {name: max(runs) for name, runs in results.items()}  # the higher rate of two
        hello_rate = best[pages[0][0]][0]
        lines = self._header(title)
        lines += [
            f"- load: `{self.wrk_line} [-H 'Cookie: sessionid=…'] URL`, after a 2 s warm-up; "
            "two rounds of the three pages in turn, the round with the higher rate kept; the "
            "dashboard with a session of the bench patient, the article without any cookie "
            "(each answer renders its header and sets a CSRF cookie; its body is the cached "
            "fragment)",
            "",
            "| page | requests/s | p99 ms | share of hello world | rounds (req/s) |",
            "|---|---:|---:|---:|---|",
        ]
        for name, _path, _cookie in pages:
            rate, p99 = best[name]
            rounds = ", ".join(f"{r:,.0f}" for r, _p in results[name])
            lines.append(
                f"| {name} | {rate:,.0f} | {p99:.1f} | {rate / hello_rate:.0%} | {rounds} |"
            )
        article_rate, article_p99 = best[pages[1][0]]
        dash_rate, dash_p99 = best[pages[2][0]]

        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        lines += [
            "",
            "Targets (issue #8):",
            "",
            f"- article ≥ {ARTICLE_SHARE:.0%} of hello world's requests/s: "
            f"{verdict(article_rate >= ARTICLE_SHARE * hello_rate)} "
            f"({article_rate / hello_rate:.0%})",
            f"- dashboard ≥ {DASHBOARD_SHARE:.0%}: "
            f"{verdict(dash_rate >= DASHBOARD_SHARE * hello_rate)} ({dash_rate / hello_rate:.0%})",
            f"- p99 < {P99_MS} ms at {connections} connections: article "
            f"{verdict(article_p99 < P99_MS)} ({article_p99:.0f} ms), dashboard "
            f"{verdict(dash_p99 < P99_MS)} ({dash_p99:.0f} ms)",
        ]
        lines += ["", *self._static_headers()]
        write_section(self.output, "http", lines)
        for name, _path, _cookie in pages:
            self.stdout.write(f"{name:56} {best[name][0]:8,.0f} req/s  p99 {best[name][1]:.1f} ms")

    def _static_headers(self) -> list[str]:
        """What the production server says about caching, read from its answers."""
        _status, page_headers, html = self._get(ARTICLE_URL)
        css = re.search(rb'<link rel="stylesheet" href="([^"]+)"', html).group(1).decode()
        _status, css_headers, _body = self._get(css)
        return [
            "Caching, as served:",
            "",
            f"- the stylesheet `{css}` (hashed name): `Cache-Control: "
            f"{css_headers.get('Cache-Control', '—')}`",
            f"- an article for a signed-out reader: `Cache-Control: "
            f"{page_headers.get('Cache-Control', '—')}`, `ETag` "
            f"{'present' if 'ETag' in page_headers else 'absent'}, a matching `If-None-Match` "
            "answers 304 (tests/content/test_caching.py)",
            "- templates: Django's cached loader (on by default when no loaders are configured, "
            "DEBUG or not); database connections kept 60 s (`DB_CONN_MAX_AGE`)",
        ]

    # --- Lighthouse -----------------------------------------------------------------------------

    def _lighthouse(self) -> None:
        title = "Front end (Lighthouse)"
        lines = self._header(title)
        lines += ["", *self._assets()]
        lighthouse = settings.BASE_DIR / "node_modules" / ".bin" / "lighthouse"
        chromium = os.environ.get("CHROME_PATH") or shutil.which("chromium")
        why = None
        if not lighthouse.exists():
            why = "the lighthouse npm package is not installed (`make install` runs npm install)"
        elif not chromium:
            why = "Chromium is not installed (Debian: `apt-get install chromium`)"
        if why:
            lines += ["", f"- scores: **skipped**: {why}"]
            write_section(self.output, "lighthouse", lines)
            self.stdout.write(self.style.WARNING(f"SKIPPED Lighthouse: {why}"))
            return
        # Issue 18: 100 for accessibility, at least 95 for the others, on these three pages.
        pages = [
            ("home page (signed out)", "/en/", ""),
            ("article (signed out)", ARTICLE_URL, ""),
            ("patient dashboard (signed in)", DASHBOARD, self.cookie),
        ]
        categories = ("performance", "accessibility", "best-practices", "seo")
        lines += [
            "",
            f"- scores: `CHROME_PATH={chromium} lighthouse URL --only-categories="
            f"{','.join(categories)} --chrome-flags='--headless=new --no-sandbox' "
            '[--extra-headers \'{"Cookie": "sessionid=…"}\']`, Lighthouse\'s default (mobile, '
            "simulated slow 4G and CPU throttling), against the gunicorn above; target: "
            "accessibility 100, the others ≥ 95",
            "",
            "| page | performance | accessibility | best practices | SEO |",
            "|---|---:|---:|---:|---:|",
        ]
        with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as folder:
            for name, path, cookie in pages:
                report = Path(folder) / "report.json"
                argv = [str(lighthouse), self.base + path, "--quiet", "--output=json"]
                argv += [f"--output-path={report}", f"--only-categories={','.join(categories)}"]
                argv += ["--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
                if cookie:
                    argv += [f"--extra-headers={json.dumps({'Cookie': cookie})}"]
                done = subprocess.run(
                    argv,
                    env={**os.environ, "CHROME_PATH": chromium},
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                if done.returncode != 0 or not report.exists():
                    lines.append(f"| {name} | failed: {done.stderr.strip()[-200:]} | | | |")
                    continue
                result = json.loads(report.read_text())
                scores = [result["categories"][c]["score"] for c in categories]
                cells = " | ".join("—" if s is None else f"{round(s * 100)}" for s in scores)
                lines.append(f"| {name} | {cells} |")
                self.stdout.write(f"lighthouse {name}: {cells}")
                if result.get("finalDisplayedUrl", "").rstrip("/") != (self.base + path).rstrip(
                    "/"
                ):
                    lines.append(f"| (ended on {result.get('finalDisplayedUrl')}) | | | | |")
        write_section(self.output, "lighthouse", lines)

    def _assets(self) -> list[str]:
        """What the dashboard and an article load: stylesheets, scripts, fonts."""
        lines = []
        for name, path, cookie in (
            ("patient dashboard", DASHBOARD, self.cookie),
            ("article", ARTICLE_URL, ""),
        ):
            _status, _headers, html = self._get(path, cookie)
            text = html.decode()
            styles = re.findall(r'<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"', text)
            scripts = re.findall(r'<script[^>]*src="([^"]+)"', text)
            inline = len(re.findall(r"<script(?![^>]*src=)[^>]*>", text))
            fonts = []
            for css in styles:
                _s, _h, body = self._get(css)
                fonts += re.findall(r"@font-face|url\([^)]*\.(?:woff2?|ttf|otf)", body.decode())
            lines.append(
                f"- {name}: {len(styles)} stylesheet ({', '.join(styles)}); scripts: "
                f"{', '.join(scripts) or 'none'}; inline scripts: {inline}; web fonts in the CSS: "
                f"{len(fonts)}"
            )
        return lines
