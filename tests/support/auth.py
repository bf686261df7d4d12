"""Signing test clients in: as after both log-in steps, or through the forms."""


def login_verified(client, user):
    """Sign `user` in as after both log-in steps: a session verified by a real, confirmed
    authenticator (created if the user has none), the way django_otp.login marks it."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = authenticator_of(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def sign_in(client, user):
    """Sign `user` in as the app would let them in: a patient with the password alone, a
    specialist or staff member only with a verified second factor."""
    if user.must_use_two_factor:
        return login_verified(client, user)
    client.force_login(user)
    return client


def authenticator_of(user):
    """The user's confirmed authenticator app, created if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def code_of(device) -> str:
    """The code the authenticator app shows right now."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in_with_code(client, user, password="a-long-test-password", *, prefix=""):
    """Both log-in steps through the forms (password, then the app's code); returns the
    answer to the code."""
    device = authenticator_of(user)
    response = client.post(
        f"{prefix}/accounts/login/", {"username": user.email, "password": password}
    )
    assert response.status_code == 302 and response["Location"].endswith("/accounts/two-step/")
    return client.post(response["Location"], {"code": code_of(device)})


# What a specialist types in the sign-up form (tests of the clinician sign-up).
CLINICIAN_SIGNUP = {
    "email": "Dr.Martin@Hopital.example",
    "display_name": "Dr Martin",
    "password1": "correct horse battery staple",
    "password2": "correct horse battery staple",
    "specialty": "Dermatology",
    "institution": "CHU de Nantes",
    "registration_number": "10101010101",
    "time_zone": "Europe/Paris",
    "confirm": "on",
}
