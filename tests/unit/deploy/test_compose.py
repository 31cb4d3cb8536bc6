"""docker-compose.yml and the Dockerfile keep their rules, checked without Docker.

Every image pinned, every long-running service health-checked on its own
/ready and limited, no guest and no default secret, only the ports users
need published; the image in two stages with a dependency layer, no test
packages, non-root.
"""
import re

import pytest

from tests.unit.deploy.deploy_files import (
    DEPLOY,
    PINNED_TAG,
    PUBLISHED,
    ROOT,
    SECRET_WORDS,
    SERVICES,
    http_port,
    load_yaml,
    project_version,
    without_comments,
)

# -- docker compose ----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return load_yaml((ROOT / "docker-compose.yml").read_text())


def long_running(compose):
    return {name: s for name, s in compose["services"].items() if s.get("restart") != "no"}


def test_every_image_is_pinned(compose):
    for name, service in compose["services"].items():
        image = service["image"]
        assert PINNED_TAG.match(image), f"{name}: {image} floats"
        if service.get("build"):
            assert image == f"hotline:{project_version()}", f"{name}: our image is tagged with the version"


def test_every_long_running_service_is_health_checked_restarted_and_limited(compose):
    for name, service in long_running(compose).items():
        assert service.get("restart") == "unless-stopped", name
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), f"{name} has no resource limits"


def test_each_service_checks_its_own_ready_endpoint(compose):
    for name in SERVICES:
        test = compose["services"][name]["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "operate.probe"], name
        assert test[4] == f"http://127.0.0.1:{http_port(name)}/ready", name


def test_one_shots_run_first_and_every_service_waits_for_the_topology(compose):
    services = compose["services"]
    assert services["topology"]["command"] == ["hotline-ops", "topology"]
    assert services["topology"]["depends_on"]["broker-user"]["condition"] == "service_completed_successfully"
    for name in SERVICES:
        assert services[name]["depends_on"]["topology"]["condition"] == "service_completed_successfully", name
        assert services[name]["command"] == ["python", "-m", "operate.serve", f"services.{name}.service"]


def test_only_what_users_need_is_published(compose):
    published = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            host, container = str(port).rsplit(":", 1)
            published[name] = int(container)
            assert host.split(":")[-1] == container, f"{name}: {port}"
    assert published == PUBLISHED


def test_no_guest_no_default_secret_and_production_mode(compose):
    text = without_comments(ROOT / "docker-compose.yml")
    assert "guest" not in text
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if SECRET_WORDS.search(key) and key not in ("SMTP_PASSWORD",):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), f"{name}: {key} must be ${{VAR:?}}"
    for reference in re.findall(r"\$\{([A-Z_]+)(:?[-?])?[^}]*\}", text):
        var, mode = reference
        if SECRET_WORDS.search(var) and var != "SMTP_PASSWORD":
            assert mode == ":?", f"{var} has a default"
    app = compose["services"]["intake"]["environment"]
    assert app["HOTLINE_ENV"] == "production" and app["MONGO_URI"].startswith("mongodb://")
    assert "${HOTLINE_MONGO_PASSWORD:?" in app["MONGO_URI"]
    assert compose["services"]["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"].startswith(
        "${RABBITMQ_DEFAULT_USER:?")


def test_the_broker_and_the_store_keep_their_data_on_volumes(compose):
    services = compose["services"]
    assert "rabbitmq-data:/var/lib/rabbitmq" in services["rabbitmq"]["volumes"]
    assert services["rabbitmq"]["hostname"] == "rabbitmq"  # the node name its data is kept under
    assert "mongo-data:/data/db" in services["mongo"]["volumes"]
    assert {"rabbitmq-data", "mongo-data"} <= set(compose["volumes"])


def test_every_variable_the_compose_files_need_is_in_the_example_env(compose):
    example = {line.split("=", 1)[0] for line in (DEPLOY / "compose" / "env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    for path in (ROOT / "docker-compose.yml", DEPLOY / "compose" / "monitoring.yml"):
        for var in re.findall(r"\$\{([A-Z_]+)", without_comments(path)):
            assert var in example, f"{var} ({path.name}) is not in deploy/compose/env.example"
    assert "METRICS_TOKEN" in example


def test_the_monitoring_compose_file_is_pinned_and_mounts_what_exists():
    monitoring = load_yaml((DEPLOY / "compose" / "monitoring.yml").read_text())
    for name, service in monitoring["services"].items():
        assert PINNED_TAG.match(service["image"]), name
        assert service.get("healthcheck") and service["deploy"]["resources"]["limits"], name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
    assert monitoring["services"]["grafana"]["ports"] == ["127.0.0.1:3000:3000"]


# -- the image ------------------------------------------------------------------------


def test_the_dockerfile_caches_dependencies_and_ships_no_test_packages():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) == 2, "a build stage and a runtime stage"
    base = next(line for line in lines if line.startswith("ARG PYTHON_IMAGE="))
    assert PINNED_TAG.match(base.split("=", 1)[1]), base
    text = "\n".join(lines)
    assert text.index("COPY pyproject.toml") < text.index("pip install -r requirements.txt") \
        < text.index("COPY shared"), "dependencies install before the code is copied"
    assert "[test]" not in text and "optional-dependencies" not in text
    assert "pip install --no-deps ." in text
    runtime = text[text.index(froms[1]):]
    assert "COPY --from=build /opt/hotline /opt/hotline" in runtime
    assert re.search(r"^USER 10001$", runtime, re.M), "runs as the non-root user"
    assert "pip" not in runtime.replace("PIP_", "")


