"""E-mails are templates: emails/<name>_subject.txt, _body.txt and _body.html."""

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_email(
    *, to: str, name: str, context: dict, mailer=None, message_id: str | None = None
) -> None:
    """Render and send one e-mail in the active language (wrap in translation.override).

    `mailer`: an open mail backend to reuse (e.g. one SMTP session for a batch).
    `message_id`: a Message-ID of the caller's (the same for every attempt of one reminder).
    """
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    context = {**context, "subject": subject}  # the HTML title, without rendering it twice
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    (mailer or mail.mailers.default).send_messages([message])
