from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

QUESTIONS_MAX_LENGTH = 2000


class VisitPreparation(models.Model):
    """What the patient prepares for their next specialist visit: when the last one was (the
    visit summary's default period starts there), what the treatment is for in their words,
    and the questions they want to ask. One row per patient, created on the first save."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_preparation"
    )
    last_visit_on = models.DateField(_("date of your last specialist visit"), null=True, blank=True)
    # The catalogue holds no indication (one drug has several): the patient says it.
    condition = models.CharField(_("what the treatment is for"), max_length=120, blank=True)
    questions = models.TextField(
        _("questions for the visit"), max_length=QUESTIONS_MAX_LENGTH, blank=True
    )
    # The patient shared the summary of this period with their care team (the clinic page
    # shows it, and opens that period).
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_start = models.DateField(null=True, blank=True)
    shared_end = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shared_start__isnull=True)
                | models.Q(shared_end__isnull=True)
                | models.Q(shared_start__lte=models.F("shared_end")),
                name="visit_preparation_shared_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"visit preparation of {self.patient_id}"
