from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patients and care")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from patients.security import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="patients.security.stamp_login")
