"""What an error report (the admins' e-mail, the 500 page with DEBUG off) may show.

Everything a person types here may be health data (a note on an injection, a diagnosis for a
letter), and so may the values a view holds when it fails. Django hides only the fields and
variables a view marks as sensitive; this filter treats them all as sensitive, so a report
keeps the traceback, the path and the field names, never a value.
"""

from django.views.debug import SafeExceptionReporterFilter


class NoPersonalDataFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        if request is None:
            return {}
        if not self.is_active(request):  # DEBUG on: a developer's own machine
            return request.POST
        return self._cleanse_multivaluedict(request.POST, "__ALL__")

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
