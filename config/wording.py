"""Django's own messages the project words differently, through its French catalogue.

Listed here (never called) so that `make messages` keeps their entries in locale/: the project's
catalogue comes before Django's. Django's failed log-in message puts the e-mail field's French
name into "Saisissez un %(username)s…", which gives "un adresse e-mail" (issue 18, D16)."""

from django.utils.translation import gettext_noop

DJANGO_MESSAGES = (
    gettext_noop(
        "Please enter a correct %(username)s and password. Note that both fields may be "
        "case-sensitive."
    ),
)
