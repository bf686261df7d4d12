"""The forms, one module per feature; `fields` holds what several share."""
