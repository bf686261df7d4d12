"""Between visits: the journal tied to the doses, the scores, sharing with each
specialist, the specialist's flags, the trend charts and the monthly prompt.

Modules: `entries` and `scores` own the writes (with undo, as injections), `sharing` the
patient's choice per specialist, `flags` what the clinic dashboard shows, `charts` the
server-drawn SVG trends, `guidance` the sourced advice after an infection with fever or a
serious reaction, `prompts` the monthly reminder, `data` the export and erasure.
"""
