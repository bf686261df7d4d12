"""Which tests share an xdist worker under `make test` (`pytest -n auto --dist loadgroup`).

xdist's own groups (the `xdist_group` mark) never formed here: pytest-xdist 3.8 names a grouped
test `…@group` by assigning `item._nodeid`, which pytest 9 no longer reads (a node's id lives in
`item._id`), so every test was scheduled on its own: the walk of the access matrix ran on both
workers, and the Celery worker tests ran beside each other. This scheduler groups by path in the
controller instead (a public xdist hook, `pytest_xdist_make_scheduler`, tests/conftest.py).
"""

from __future__ import annotations

import zlib

from xdist.scheduler import LoadScopeScheduling

# Modules whose tests run on one worker, one at a time: they take PostgreSQL row locks from
# several connections and start Celery workers and beats of their own (CPU-bound timings).
SERIAL_MODULES = (
    "tests/patients/test_reminder_worker.py",
    "tests/patients/test_two_workers.py",
    "tests/patients/test_push_worker.py",
)
# The walk of the access matrix is sent in WALK_PARTS parts (tests/support/walk.py), each row
# of the matrix in the part `walk_part` gives it: the matrix's per-row tests of one part run
# on one worker, which records that part once and leaves it for the other workers' tests (the
# checks that read every row), so the parts are walked side by side on the cores.
WALK_PARTS = 4
MATRIX_ROWS = "tests/patients/test_access_matrix.py::test_each_persona_gets_what_the_matrix_says["


def walk_part(case_id: str) -> int:
    """The part of the walk a row of the matrix is in (from its id alone: the controller
    schedules without Django)."""
    return zlib.crc32(case_id.encode()) % WALK_PARTS


def group_of(nodeid: str) -> str:
    """The work unit a test belongs to: a group's name, or the test's own id."""
    path = nodeid.split("::")[0]
    if path in SERIAL_MODULES:
        return "serial"
    if nodeid.startswith(MATRIX_ROWS):
        return f"walk-{walk_part(nodeid[len(MATRIX_ROWS) : -1])}"
    if path.startswith("tests/browser/"):
        # A browser module on one worker: its module fixtures (the Nu Html Checker's one Java
        # run on the module's pages, above all) run once, not once on each worker.
        return path
    return nodeid


class GroupScheduling(LoadScopeScheduling):
    """xdist's load-scope scheduling with `group_of` as the scope: the largest groups are sent
    first (xdist's --loadscope-reorder, on by default), single tests fill in after them."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)
