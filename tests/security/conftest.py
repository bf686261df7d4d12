"""The security tests walk the access matrix's world and rows: one list of every URL."""

from tests.patients.test_access_matrix import world  # noqa: F401 (a fixture, used by name)
