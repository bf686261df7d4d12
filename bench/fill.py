"""Set-based SQL for filling app tables, written from the models' own field and column names.

`insert_select(Model, {field name: SQL expression}, "FROM …")` builds `INSERT INTO <table>
(<every concrete column>) SELECT <expressions> FROM …`: the column list comes from
`Model._meta.concrete_fields`, never from a list kept here. A field the caller gives no value
gets its default (a query parameter), NULL when it has none and may be NULL, or is left to the
database when the database makes it (an auto-incremented id, a db_default); any other field
missing is an error naming it, so a field added to a model shows up here at once.
"""

from django.db import connection
from django.db.models import Model
from django.db.models.fields import NOT_PROVIDED


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    """The quoted column of the field `name` (a foreign key's is `<name>_id`)."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def insert_select(
    model: type[Model], values: dict[str, str], source: str, params: dict | None = None
) -> tuple[str, dict]:
    """The statement and its parameters (`params` plus the defaults, named `default_<column>`)."""
    params = dict(params or {})
    given = dict(values)
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.name in given:
            expression = given.pop(field.name)
        elif field.db_returning or field.db_default is not NOT_PROVIDED:
            continue  # the database makes it
        elif field.has_default():
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            expression = f"%({key})s"
        elif field.null:
            expression = "NULL"
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value to fill {table(model)}")
        columns.append(connection.ops.quote_name(field.column))
        expressions.append(expression)
    if given:
        raise ValueError(f"{model.__name__} has no concrete field {', '.join(sorted(given))}")
    statement = (
        f"INSERT INTO {table(model)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {source}"
    )
    return statement, params
