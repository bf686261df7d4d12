"""bench/fill.py: the benchmarks fill app tables with column lists taken from the models."""

import pytest
from django.db import connection
from django.utils import timezone

from bench.fill import insert_select
from patients.models import Role, User

TWO_ROWS = "FROM (SELECT 1 AS g UNION ALL SELECT 2 AS g) AS s"


@pytest.mark.django_db
def test_insert_select_names_every_column_and_fills_the_ones_not_given_with_their_defaults():
    statement, params = insert_select(
        User,
        {
            "id": "g + 1000",
            "password": "'!bench'",
            "email": "'fill-' || g || '@bench.example'",
            "display_name": "'Fill ' || g",
            "privacy_notice_version": "'v1'",
            "date_joined": "%(now)s",
        },
        TWO_ROWS,
        {"now": timezone.now()},
    )
    for field in User._meta.concrete_fields:
        assert connection.ops.quote_name(field.column) in statement
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
    users = User.objects.filter(pk__gt=1000).order_by("pk")
    assert [user.email for user in users] == ["fill-1@bench.example", "fill-2@bench.example"]
    for user in users:
        assert (user.role, user.language, user.is_active, user.is_staff) == (
            Role.PATIENT,
            "fr",
            True,
            False,
        )
        assert user.session_epoch == 0 and user.last_login is None


def test_a_required_field_without_a_value_or_default_is_named():
    with pytest.raises(ValueError, match=r"User\.password needs a value"):
        insert_select(User, {"id": "g"}, TWO_ROWS)


def test_a_value_for_a_field_the_model_does_not_have_is_refused():
    with pytest.raises(ValueError, match="no concrete field nickname"):
        insert_select(
            User,
            {
                "password": "''",
                "email": "''",
                "display_name": "''",
                "privacy_notice_version": "''",
                "nickname": "''",
            },
            TWO_ROWS,
        )
