"""The world the access matrix is walked in (tests/support/matrix.py's `build_world`), met
directly: the personas are who their names say, the unnamed routes and the whole Django admin
answer as the matrix's rules say. (The rows of the matrix, checked against the walk, are in
test_access_matrix.py: the two never share a module, so a walk part recorded in a worker never
meets this module's world, which holds the same people.)"""

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import CareLink
from tests.support.auth import sign_in
from tests.support.matrix import (
    ADMIN_LOGIN,
    ADMIN_OUTSIDE_THE_RULE,
    ADMIN_RULE,
    PERSONAS,
    UNNAMED,
    admin_kwargs,
    admin_patterns,
    outcome_of,
)

pytestmark = pytest.mark.django_db


def test_the_unnamed_routes_answer_everyone_alike(world):
    for route, want in UNNAMED.items():
        for persona in PERSONAS:
            client = Client()
            if user := world.personas[persona]:
                sign_in(client, user)
            got = outcome_of(client.get(f"/{route}"), htmx=False)
            assert got == want, f"/{route} as {persona}: expected {want}, got {got}"


def test_the_whole_admin_is_staff_only(world):
    """ADMIN_RULE on every URL of the admin, as a patient, a clinician and someone signed out;
    and the staff superuser gets in (a 200 on its index)."""
    problems, checked = [], 0
    for name, pattern in admin_patterns():
        path = reverse(name, kwargs=admin_kwargs(pattern))
        for persona in ("anonymous", "patient", "clinician"):
            client = Client()
            if user := world.personas[persona]:
                sign_in(client, user)
            response = client.get(path)
            got = outcome_of(response, htmx=False)
            want = ADMIN_OUTSIDE_THE_RULE.get(name, ADMIN_LOGIN)
            if got != want:
                problems.append(f"{name} ({path}) as {persona}: expected {want}, got {got}")
            checked += 1
    assert not problems, ADMIN_RULE + ":\n" + "\n".join(problems)
    assert checked > 30  # the walk did reach the admin's model pages
    staff = Client()
    sign_in(staff, world.personas["admin"])
    assert staff.get(reverse("admin:index")).status_code == 200


def test_each_persona_is_what_its_name_says(world):
    """The matrix means something only if the personas are set up as described."""
    from patients.care import linked_patients

    people = world.personas
    assert list(linked_patients(people["clinician"])) == [world.patient]
    assert list(linked_patients(people["stranger_clinician"])) == [world.other_patient]
    assert CareLink.objects.active().filter(clinician=people["pending_clinician"]).exists()
    assert not linked_patients(people["pending_clinician"]).exists()
    assert CareLink.objects.filter(clinician=people["revoked_clinician"]).exists()
    assert not linked_patients(people["revoked_clinician"]).exists()
    admin = people["admin"]
    assert admin.is_staff and admin.is_superuser
    assert not CareLink.objects.filter(clinician=admin).exists()
    assert not linked_patients(admin).exists()
