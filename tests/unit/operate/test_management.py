"""`hotline sources` on a fresh machine: the management plugin is enabled, or one line says how."""
from operate import management


def test_a_remote_broker_without_the_plugin_gets_the_one_command_to_run(monkeypatch):
    monkeypatch.setattr(management, "answers", lambda *a, **k: False)
    monkeypatch.setattr(management.subprocess, "run", lambda *a, **k: 1 / 0)  # never tried: not local
    said = []
    assert management.ensure("http://guest:guest@broker.example:15672/", said.append) is False
    assert said == ["RabbitMQ's management API does not answer on broker.example:15672: on the broker's "
                    "machine run `sudo rabbitmq-plugins enable rabbitmq_management`, or set "
                    "BROKER_MANAGEMENT_URI to where it answers"]


def test_a_local_broker_gets_the_plugin_enabled(monkeypatch):
    calls, state = [], {"enabled": False}
    monkeypatch.setattr(management, "answers", lambda *a, **k: state["enabled"])
    monkeypatch.setattr(management.shutil, "which", lambda name: f"/usr/sbin/{name}")

    def run(command, **kwargs):
        calls.append(command)
        state["enabled"] = True
        return management.subprocess.CompletedProcess(command, 0, "", "")
    monkeypatch.setattr(management.subprocess, "run", run)
    said = []
    assert management.ensure("http://guest:guest@127.0.0.1:15672/", said.append) is True
    assert calls == [["rabbitmq-plugins", "enable", "rabbitmq_management"]]
    assert "running `rabbitmq-plugins enable rabbitmq_management`" in said[0]


def test_a_local_broker_that_cannot_enable_it_says_why_and_what_to_run(monkeypatch):
    monkeypatch.setattr(management, "answers", lambda *a, **k: False)
    monkeypatch.setattr(management.shutil, "which", lambda name: f"/usr/sbin/{name}")
    monkeypatch.setattr(management.subprocess, "run", lambda command, **kwargs: management.subprocess.
                        CompletedProcess(command, 2, "", "Error: could not read the Erlang cookie"))
    said = []
    assert management.ensure("http://guest:guest@localhost:15672/", said.append) is False
    assert said[1] == "could not: Error: could not read the Erlang cookie"
    assert "sudo rabbitmq-plugins enable rabbitmq_management" in said[2]
