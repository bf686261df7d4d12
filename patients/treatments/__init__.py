"""Treatments: `reads` (plan, history, sites, stock), `writes` (start, stop, stock, a moved
dose) and `injections` (logging, editing and deleting doses)."""
