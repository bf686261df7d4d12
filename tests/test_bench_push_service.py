"""bench/push_service.py's CountingPushService: the push service `bench_reminders` sends to.
Its count is the bench's "messages reached the push service", so it must count each push the
channel posts, once, over the kept-alive connection a worker uses."""

from patients.models import PushSubscription
from patients.reminders.channels import push
from patients.reminders.channels.push import new_vapid_keys
from tests.support.push_service import CountingPushService, Phone


def test_it_answers_each_push_of_the_channel_201_and_counts_it_once(settings):
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:bench@interleukin-care.fr"
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    phone = Phone()
    message = push.notification(title="T", body="B", url="https://example.com/", tag="t")
    with CountingPushService() as service:
        subscription = PushSubscription(
            endpoint=service.endpoint("1"), **phone.subscription("x")["keys"]
        )
        session = push.open_session()
        statuses = [
            push.send_to(subscription, message, session=session, ttl=60, Urgency="high")
            for _ in range(3)
        ]
        session.http.clear()
    assert statuses == [201, 201, 201]
    assert (service.count, service.connections) == (3, 1)  # one kept-alive connection
