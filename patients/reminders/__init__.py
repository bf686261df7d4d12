"""Reminders: what falls due and when, the outbox that records it, and its delivery.

Four steps, each safe to run twice at the same time:

1. `patients.treatments.reminders.plan_reminders` runs in the transaction of every change to a
   treatment (a dose logged, edited, deleted or moved, stock received, the treatment stopped,
   the settings changed). It stores the next dose and the time of the next reminder on the
   treatment (from `planning`'s pure functions), cancels what no longer applies and queues a
   low-stock notice when the stock has just dropped to one dose or less.
2. `scan.queue_due_reminders` (Celery beat, every minute) reads the treatments whose next
   reminder time has passed through an index, writes their outbox rows in bulk and moves the
   time on. The outbox's unique constraint is what makes a reminder happen once.
3. `delivery.dispatch_reminders` claims the due rows (row locks, skip locked) and, once the claim
   is committed, enqueues their ids; a claim left by a dead worker is taken again after a timeout.
4. `delivery.deliver_reminders` (the Celery task) locks each row, checks the reminder still
   stands, sends it through its channel (`channels/`) and records the outcome. Transient errors
   are retried from the outbox with exponential backoff and jitter (not with Celery ETAs, which
   Redis redelivers after its visibility timeout), then the row is marked failed.

Features (treatments, checklists, trips) write their own rows through `outbox` and declare
their kinds with `registry.register_kind`; this package never imports a feature. Only ids
travel through the broker; logs carry ids and counts, never health data.
"""
