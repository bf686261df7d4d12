"""Travel: a trip's `plan`, the `trips` and their reminders, the `letters`."""
