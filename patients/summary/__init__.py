"""The visit summary: what a specialist reads before the appointment, on one or two pages.

`build_summary` (in `data`) reads one patient's treatments, doses, stock, open checklist items
and the questions they prepared over a bounded period, in a fixed number of queries; `document`
turns it into HTML and the tagged PDF; `fhir` builds the FHIR R4 export of the same record.

Extension points for features that do not exist yet (the journal: doses held, side effects,
infections, scores) are in `sections`: see its docstring.
"""
