from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The modules that register reminder kinds and planners with `patients.reminders.registry` when
# imported, and the tasks module the delivery engine enqueues by name: the engine imports none
# of them (they sit above it), so they are loaded here, once the models are.
REGISTERING_MODULES = (
    "patients.treatments.reminders",
    "patients.checklists",
    "patients.travel.trips",
    "patients.journal.prompts",
    "patients.tasks",
)


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patients and care")

    def ready(self) -> None:
        # Imported here, not at the top: they import the models, which are not ready before now.
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from patients.security import stamp_login
        from patients.signin_limits import shared_cache_check

        user_logged_in.connect(stamp_login, dispatch_uid="patients.security.stamp_login")
        checks.register(shared_cache_check, checks.Tags.security, deploy=True)
        for module in REGISTERING_MODULES:
            import_module(module)
