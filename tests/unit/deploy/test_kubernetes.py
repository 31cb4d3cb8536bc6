"""deploy/kubernetes, the alert rules and the dashboard, checked without a cluster.

The production overlay builds with ``kubectl kustomize`` and every built-in
resource validates against the Kubernetes API schemas (``kubernetes-validate``,
strict), the operators' resources against the fields we use. Every alert and
dashboard query parses and names a metric the services export.
"""
import json
import shutil
import subprocess

import jsonschema
import pytest

from tests.unit.deploy.deploy_files import DEPLOY, PINNED_TAG, SECRET_WORDS, SERVICES, http_port, load_all_yaml, load_yaml

# -- Kubernetes -------------------------------------------------------------------------

CR_SCHEMAS = {
    # The fields of the operators' resources that the manifests use, from their CRDs.
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): {
        "type": "object", "required": ["spec"],
        "properties": {"spec": {"type": "object", "additionalProperties": False, "required": ["replicas"],
                                "properties": {
                                    "replicas": {"type": "integer", "minimum": 3},
                                    "image": {"type": "string", "pattern": PINNED_TAG.pattern},
                                    "resources": {"type": "object", "required": ["requests", "limits"]},
                                    "persistence": {"type": "object", "additionalProperties": False,
                                                    "properties": {"storage": {"type": "string"},
                                                                   "storageClassName": {"type": "string"}}},
                                    "rabbitmq": {"type": "object", "additionalProperties": False,
                                                 "properties": {"additionalConfig": {"type": "string"},
                                                                "additionalPlugins": {"type": "array"}}},
                                    "affinity": {"type": "object"}}}}},
    ("rabbitmq.com/v1beta1", "User"): {
        "type": "object", "properties": {"spec": {
            "type": "object", "additionalProperties": False, "required": ["rabbitmqClusterReference"],
            "properties": {"rabbitmqClusterReference": {"type": "object", "required": ["name"]},
                           "importCredentialsSecret": {"type": "object", "required": ["name"]},
                           "tags": {"type": "array"}}}}},
    ("rabbitmq.com/v1beta1", "Permission"): {
        "type": "object", "properties": {"spec": {
            "type": "object", "additionalProperties": False,
            "required": ["permissions", "rabbitmqClusterReference", "vhost"],
            "properties": {"vhost": {"type": "string"}, "user": {"type": "string"},
                           "userReference": {"type": "object", "required": ["name"]},
                           "permissions": {"type": "object", "additionalProperties": False,
                                           "properties": {k: {"type": "string"}
                                                          for k in ("configure", "write", "read")}},
                           "rabbitmqClusterReference": {"type": "object", "required": ["name"]}}}}},
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"): {
        "type": "object", "properties": {"spec": {
            "type": "object", "required": ["security", "type", "users", "version"],
            "properties": {
                "members": {"type": "integer", "minimum": 3}, "type": {"enum": ["ReplicaSet"]},
                "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                "security": {"type": "object", "required": ["authentication"]},
                "users": {"type": "array", "items": {
                    "type": "object", "required": ["name", "passwordSecretRef", "roles",
                                                   "scramCredentialsSecretName"],
                    "properties": {"roles": {"type": "array", "items": {"type": "object",
                                                                        "required": ["db", "name"]}}}}},
                "statefulSet": {"type": "object", "required": ["spec"]},
                "additionalMongodConfig": {"type": "object"}}}}},
    ("monitoring.coreos.com/v1", "PodMonitor"): {
        "type": "object", "properties": {"spec": {
            "type": "object", "required": ["selector", "podMetricsEndpoints"],
            "properties": {"podMetricsEndpoints": {"type": "array", "items": {
                "type": "object", "required": ["port", "path"]}}}}}},
    ("monitoring.coreos.com/v1", "PrometheusRule"): {
        "type": "object", "properties": {"spec": {
            "type": "object", "required": ["groups"],
            "properties": {"groups": {"type": "array", "items": {
                "type": "object", "required": ["name", "rules"]}}}}}},
}


@pytest.fixture(scope="module")
def production():
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` builds the manifests")
    built = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "kubernetes" / "overlays" / "production")],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    return load_all_yaml(built.stdout)


def of_kind(resources, kind):
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def test_the_production_overlay_validates_against_the_kubernetes_schemas(production):
    import kubernetes_validate

    custom = 0
    for resource in production:
        schema = CR_SCHEMAS.get((resource["apiVersion"], resource["kind"]))
        if schema is not None:
            jsonschema.validate(resource, schema)
            custom += 1
            continue
        kubernetes_validate.validate(resource, "1.30.0", strict=True)
    assert custom == len(CR_SCHEMAS)
    assert all(r["metadata"].get("namespace") == "hotline" for r in production if r["kind"] != "Namespace")


def test_every_service_runs_twice_or_more_with_probes_requests_and_a_budget(production):
    deployments = of_kind(production, "Deployment")
    budgets = of_kind(production, "PodDisruptionBudget")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert spec["replicas"] >= 2, name
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert [c["command"] for c in pod["initContainers"]] == [["hotline-ops", "topology"]]
        container = pod["containers"][0]
        assert container["command"] == ["python", "-m", "operate.serve", f"services.{name}.service"]
        assert container["ports"] == [{"name": "http", "containerPort": http_port(name)}]
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        for box in pod["initContainers"] + pod["containers"]:
            assert PINNED_TAG.match(box["image"]), box["image"]
            env = {e["name"]: e for e in box["env"]}
            assert env["AMQP_URI"]["value"] == "amqp://$(AMQP_USER):$(AMQP_PASSWORD)@hotline-rabbitmq:5672/"
            assert "secretKeyRef" in env["MONGO_URI"]["valueFrom"]
        assert budgets[name]["spec"]["selector"] == spec["selector"]
        assert budgets[name]["spec"]["minAvailable"] >= 1
    autoscaler = of_kind(production, "HorizontalPodAutoscaler")["intake"]
    assert autoscaler["spec"]["minReplicas"] >= 2


def test_the_broker_and_the_store_run_three_each_and_no_secret_is_kept_here(production):
    assert of_kind(production, "RabbitmqCluster")["hotline-rabbitmq"]["spec"]["replicas"] == 3
    mongo = of_kind(production, "MongoDBCommunity")["hotline-mongodb"]["spec"]
    assert mongo["members"] == 3 and mongo["type"] == "ReplicaSet"
    assert not of_kind(production, "Secret"), "secrets are created in the cluster, never kept in git"
    config = next(r for r in production if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith(
        "hotline-config"))
    assert config["data"]["HOTLINE_ENV"] == "production"
    assert not any(SECRET_WORDS.search(key) for key in config["data"])


# -- alerts and the dashboard -----------------------------------------------------------

EXTERNAL_METRICS = {"up", "rabbitmq_detailed_queue_messages", "process_resident_memory_bytes",
                    "process_cpu_seconds_total"}


def exported_metric_names():
    """Every series name the services' registries can expose."""
    from shared.platform import metrics

    names = set()
    service = metrics.ServiceMetrics("test")
    for family in service.registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    for name in list(names):  # counters expose <name>_total, histograms <name>_bucket/_count/_sum
        names.update({f"{name}_total", f"{name}_bucket", f"{name}_count", f"{name}_sum"})
    return names | set(metrics.GAUGES)


def metric_names(expr):
    import promql_parser

    found = set()

    def walk(node):
        if isinstance(node, promql_parser.VectorSelector):
            found.add(node.name)
        for attr in ("lhs", "rhs", "expr", "vector_selector", "param"):
            child = getattr(node, attr, None)
            if isinstance(child, promql_parser.Expr):
                walk(child)
        for arg in getattr(node, "args", None) or ():
            walk(arg)
    walk(promql_parser.parse(expr))
    return found


def alert_rules():
    return load_yaml((DEPLOY / "monitoring" / "alerts.yml").read_text())


def test_every_alert_parses_names_known_metrics_and_says_what_is_wrong():
    known = exported_metric_names() | EXTERNAL_METRICS
    rules = [rule for group in alert_rules()["groups"] for rule in group["rules"]]
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names and names <= known, f"{rule['alert']}: unknown {names - known}"
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
    wanted = {"HotlineOutboxNotDraining", "HotlineDeadLettersGrowing", "HotlineReconcilerFindsStuckTickets",
              "HotlineCalendarCoverageEnding", "HotlineDeliveriesFailing"}
    assert wanted <= {rule["alert"] for rule in rules}


def test_the_kubernetes_rules_and_dashboard_are_the_same_as_the_monitoring_files():
    monitoring = load_all_yaml((DEPLOY / "kubernetes" / "base" / "monitoring.yaml").read_text())
    rule = next(doc for doc in monitoring if doc["kind"] == "PrometheusRule")
    assert rule["spec"] == alert_rules(), \
        "deploy/kubernetes/base/monitoring.yaml's PrometheusRule differs from deploy/monitoring/alerts.yml"
    assert (DEPLOY / "kubernetes" / "base" / "hotline-dashboard.json").read_bytes() == \
        (DEPLOY / "monitoring" / "hotline-dashboard.json").read_bytes(), \
        "cp deploy/monitoring/hotline-dashboard.json deploy/kubernetes/base/"


def test_every_dashboard_query_parses_and_names_known_metrics():
    dashboard = json.loads((DEPLOY / "monitoring" / "hotline-dashboard.json").read_text())
    known = exported_metric_names() | EXTERNAL_METRICS
    used = set()
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["datasource"]["uid"] == "prometheus"
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names <= known, f"{panel['title']}: unknown {names - known}"
            used |= names
    wanted = {"hotline_tickets", "hotline_cases", "hotline_cases_overdue", "hotline_escalations_total",
              "hotline_messages_consumed_total", "hotline_messages_dead_lettered_total",
              "hotline_outbox_oldest_age_seconds", "hotline_handler_duration_seconds_bucket",
              "hotline_http_requests_total", "hotline_notification_attempts_total",
              "hotline_reconciler_findings_total"}
    assert wanted <= used
