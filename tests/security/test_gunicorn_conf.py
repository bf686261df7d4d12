"""Issue 17, item 13: Gunicorn's control socket is per instance or off.

Before: no setting, so every master on a host used $XDG_RUNTIME_DIR/gunicorn.ctl and each new
one removed the socket of the one before."""

from pathlib import Path

from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


def settings_from_file(monkeypatch, **env) -> Config:
    for name in ("GUNICORN_CONTROL_SOCKET",):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict = {"__file__": str(CONF)}
    exec(compile(CONF.read_text(), str(CONF), "exec"), namespace)
    config = Config()
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    return config


def test_without_a_path_the_control_socket_is_off(monkeypatch):
    assert settings_from_file(monkeypatch).control_socket_disable is True


def test_a_path_given_to_the_instance_is_its_own_socket(monkeypatch, tmp_path):
    path = str(tmp_path / "web-1.ctl")
    config = settings_from_file(monkeypatch, GUNICORN_CONTROL_SOCKET=path)
    assert config.control_socket_disable is False
    assert config.control_socket == path
