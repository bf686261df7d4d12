from django.urls import path

from patients.views import (
    care,
    checklists,
    clinic,
    dashboard,
    injections,
    journal,
    packs,
    privacy,
    reminders,
    travel,
    treatments,
)

app_name = "patients"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("treatments/new/", treatments.start, name="start_treatment"),
    path("treatments/<int:pk>/history/", treatments.history, name="history"),
    path("treatments/<int:pk>/stock/", treatments.add_stock, name="add_stock"),
    path("treatments/<int:pk>/stock/photo/", packs.stock_photo, name="stock_photo"),
    path("treatments/<int:pk>/stop/", treatments.stop, name="stop_treatment"),
    path("treatments/<int:pk>/injections/new/", injections.log, name="log_injection"),
    path("injections/<int:pk>/edit/", injections.edit, name="edit_injection"),
    path("injections/<int:pk>/delete/", injections.delete, name="delete_injection"),
    path("injections/<int:pk>/restore/", injections.restore, name="restore_injection"),
    path("reminders/", reminders.reminder_settings, name="reminder_settings"),
    path("reminders/calendar/new/", reminders.regenerate_calendar, name="regenerate_calendar"),
    path("reminders/open/<str:token>/", reminders.open_reminder, name="open_reminder"),
    path("notifications/", reminders.notifications, name="notifications"),
    # The care team (patients) and invitations (both sides)
    path("care/", care.care_team, name="care_team"),
    path("care/links/<int:pk>/revoke/", care.revoke, name="revoke_link"),
    path("care/access/", care.access_log, name="access_log"),
    path("invitations/new/", care.new_invitation, name="new_invitation"),
    path("invitations/accept/", care.accept, name="accept_invitation"),
    path("invitations/<int:pk>/", care.invitation, name="invitation"),
    path("invitations/<int:pk>/cancel/", care.cancel, name="cancel_invitation"),
    # Checklists, as the patient sees them
    path("checklists/", checklists.checklist_list, name="checklists"),
    path("checklists/<int:pk>/", checklists.checklist, name="checklist"),
    path("checklists/<int:pk>/print/", checklists.checklist_print, name="checklist_print"),
    path("checklists/<int:pk>/share/", checklists.share, name="share_checklist"),
    path("checklists/<int:pk>/unshare/", checklists.unshare, name="unshare_checklist"),
    path("checklists/items/<int:pk>/done/", checklists.item_done, name="item_done"),
    path("checklists/items/<int:pk>/undo/", checklists.item_undo, name="item_undo"),
    # Trips and travel letters, as the patient sees them
    path("trips/", travel.trips, name="trips"),
    path("trips/new/", travel.new_trip, name="new_trip"),
    path("trips/<int:pk>/", travel.trip, name="trip"),
    path("trips/<int:pk>/edit/", travel.edit_trip, name="edit_trip"),
    path("trips/<int:pk>/delete/", travel.delete_trip, name="delete_trip"),
    path("trips/<int:pk>/letters/<str:kind>/", travel.letter, name="letter"),
    path("trips/<int:pk>/letters/<str:kind>/pdf/", travel.letter_pdf, name="letter_pdf"),
    path("trips/<int:pk>/letters/<str:kind>/revoke/", travel.revoke_letter, name="revoke_letter"),
    # Everyone's own data, to take away (patients and clinicians)
    path("my-data/", privacy.export, name="export"),
    path("my-data/export.json", privacy.export_json, name="export_json"),
    path("my-data/export.pdf", privacy.export_pdf, name="export_pdf"),
    # The clinician's side
    path("clinic/", clinic.dashboard, name="clinic"),
    path("clinic/patients/<int:pk>/", clinic.patient, name="clinic_patient"),
    path(
        "clinic/patients/<int:pk>/checklists/new/",
        clinic.new_checklist,
        name="clinic_new_checklist",
    ),
    path("clinic/treatments/<int:pk>/move-dose/", clinic.move, name="clinic_move_dose"),
    path("clinic/checklists/<int:pk>/", clinic.checklist, name="clinic_checklist"),
    path("clinic/checklists/<int:pk>/share/", clinic.share, name="clinic_share"),
    path("clinic/checklists/<int:pk>/items/new/", clinic.add, name="clinic_add_item"),
    path("clinic/checklists/<int:pk>/print/", clinic.checklist_print, name="clinic_print"),
    path("clinic/trips/<int:pk>/letters/<str:kind>/", travel.clinic_letter, name="clinic_letter"),
    path(
        "clinic/trips/<int:pk>/letters/<str:kind>/pdf/",
        travel.clinic_letter_pdf,
        name="clinic_letter_pdf",
    ),
    path(
        "clinic/trips/<int:pk>/letters/<str:kind>/approve/",
        travel.clinic_approve_letter,
        name="clinic_approve_letter",
    ),
    path(
        "clinic/trips/<int:pk>/letters/<str:kind>/revoke/",
        travel.clinic_revoke_letter,
        name="clinic_revoke_letter",
    ),
    path("clinic/items/<int:pk>/verify/", clinic.verify, name="clinic_verify"),
    path("clinic/items/<int:pk>/due/", clinic.due, name="clinic_due"),
    path("clinic/items/<int:pk>/unverify/", clinic.unverify, name="clinic_unverify"),
    path("clinic/items/<int:pk>/remove/", clinic.remove, name="clinic_remove"),
    # --- The journal and scores ---
    path("journal/", journal.journal, name="journal"),
    path("journal/entries/new/", journal.new_entry, name="journal_new_entry"),
    path("journal/entries/<int:pk>/", journal.entry, name="journal_entry"),
    path("journal/entries/<int:pk>/edit/", journal.edit_entry, name="journal_edit_entry"),
    path(
        "journal/entries/<int:pk>/delete/", journal.delete_entry_view, name="journal_delete_entry"
    ),
    path(
        "journal/entries/<int:pk>/restore/",
        journal.restore_entry_view,
        name="journal_restore_entry",
    ),
    path("journal/scores/", journal.new_scores, name="journal_scores"),
    path("journal/scores/<int:pk>/edit/", journal.edit_scores, name="journal_edit_scores"),
    path(
        "journal/scores/<int:pk>/delete/", journal.delete_scores_view, name="journal_delete_scores"
    ),
    path(
        "journal/scores/<int:pk>/restore/",
        journal.restore_scores_view,
        name="journal_restore_scores",
    ),
    path("journal/quick/itch/", journal.quick_itch_view, name="journal_quick_itch"),
    path("journal/quick/reaction/", journal.quick_reaction_view, name="journal_quick_reaction"),
    path("journal/sharing/", journal.sharing, name="journal_sharing"),
    path("clinic/flags/<int:pk>/seen/", journal.flag_seen, name="clinic_flag_seen"),
]
