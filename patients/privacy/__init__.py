"""A person's rights over their data: `export` (GDPR articles 15 and 20), `erasure` (17),
`retention` of the access record and log-in records."""
