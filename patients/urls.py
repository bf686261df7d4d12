from django.urls import path

from patients.views import dashboard, injections, reminders, treatments

app_name = "patients"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("treatments/new/", treatments.start, name="start_treatment"),
    path("treatments/<int:pk>/history/", treatments.history, name="history"),
    path("treatments/<int:pk>/stock/", treatments.add_stock, name="add_stock"),
    path("treatments/<int:pk>/stop/", treatments.stop, name="stop_treatment"),
    path("treatments/<int:pk>/injections/new/", injections.log, name="log_injection"),
    path("injections/<int:pk>/edit/", injections.edit, name="edit_injection"),
    path("injections/<int:pk>/delete/", injections.delete, name="delete_injection"),
    path("injections/<int:pk>/restore/", injections.restore, name="restore_injection"),
    path("reminders/", reminders.reminder_settings, name="reminder_settings"),
    path("reminders/calendar/new/", reminders.regenerate_calendar, name="regenerate_calendar"),
    path("reminders/open/<str:token>/", reminders.open_reminder, name="open_reminder"),
    path("notifications/", reminders.notifications, name="notifications"),
]
