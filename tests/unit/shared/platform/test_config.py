"""The config file, read as nameko reads it: ``${VAR:default}`` expanded."""
import yaml

from shared.platform.config import load_config, load_yaml


def test_variables_are_expanded_with_their_defaults(monkeypatch, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("AMQP_URI: ${AMQP_URI:amqp://guest:guest@localhost}\nPORT: ${PORT:8000}\n"
                    "NAME: ${NAME:青岛}\n", encoding="utf-8")
    monkeypatch.delenv("AMQP_URI", raising=False)
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.delenv("NAME", raising=False)
    assert load_config(path) == {"AMQP_URI": "amqp://guest:guest@localhost", "PORT": 8123, "NAME": "青岛"}


def test_loading_the_config_again_and_again_does_not_make_the_next_load_slower():
    # nameko's setup_yaml_parser adds its resolver to PyYAML's SafeLoader on every call:
    # called on every load, the list grew by one each time, and each load scanned it all
    load_config()
    resolvers = {key: len(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    for _ in range(5):
        load_config()
    assert {key: len(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()} == resolvers


def test_the_same_document_as_pyyaml_s_safe_loader_gives():
    text = "a: [1, 2.5, true, null, '2026-12-05']\nb: {c: 2026-12-05, d: '${X:y}'}\n"
    assert load_yaml(text) == yaml.safe_load(text)
