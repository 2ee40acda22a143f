"""Drives a k3s server with the official Kubernetes Python client and prints one line per check.

Usage: client_smoke.py KUBECONFIG NAMESPACE. The caller compares the printed lines with what kube-apiserver
answers: objects, resourceVersions that order, a watch that sees every change, paging, and error statuses.
"""
import json
import sys
import threading

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
ns = sys.argv[2]
core = client.CoreV1Api()
apps = client.AppsV1Api()


def status(call):
    try:
        call()
        return "no error"
    except ApiException as e:
        body = json.loads(e.body)
        return f"{e.status} {body['reason']}"


core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
created = core.create_namespaced_config_map(
    ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings", labels={"app": "py"}), data={"mode": "a"}))
print("created", created.metadata.name, created.data["mode"], created.metadata.uid != "")

events = []
stream = watch.Watch()


def follow():
    for event in stream.stream(core.list_namespaced_config_map, ns, resource_version=created.metadata.resource_version, timeout_seconds=20):
        events.append(f"{event['type']}:{event['object'].metadata.name}:{(event['object'].data or {}).get('mode')}")
        if len(events) == 3:
            stream.stop()


watcher = threading.Thread(target=follow)
watcher.start()
patched = core.patch_namespaced_config_map("settings", ns, {"data": {"mode": "b"}})
print("patched", patched.data["mode"], int(patched.metadata.resource_version) > int(created.metadata.resource_version))
replaced = core.replace_namespaced_config_map("settings", ns, client.V1ConfigMap(
    metadata=client.V1ObjectMeta(name="settings", resource_version=patched.metadata.resource_version), data={"mode": "c"}))
print("replaced", replaced.data["mode"])
stale = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings", resource_version=created.metadata.resource_version), data={"mode": "x"})
print("stale replace", status(lambda: core.replace_namespaced_config_map("settings", ns, stale)))
core.delete_namespaced_config_map("settings", ns)
watcher.join(25)
print("watched", " ".join(events))

print("missing", status(lambda: core.read_namespaced_config_map("missing", ns)))
print("duplicate", status(lambda: core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))))
print("invalid name", status(lambda: core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name")))))

for i in range(5):
    core.create_namespaced_config_map(ns, {"metadata": {"name": f"page-{i}", "labels": {"page": "yes" if i % 2 == 0 else "no"}}})
first = core.list_namespaced_config_map(ns, limit=2)
rest = core.list_namespaced_config_map(ns, limit=10, _continue=first.metadata._continue)
print("paged", [c.metadata.name for c in first.items], first.metadata.remaining_item_count, [c.metadata.name for c in rest.items])
print("selected", [c.metadata.name for c in core.list_namespaced_config_map(ns, label_selector="page=yes").items])

apps.create_namespaced_deployment(ns, {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]}}}})
deployment = apps.read_namespaced_deployment("web", ns)
print("deployment", deployment.spec.replicas, deployment.spec.template.spec.containers[0].image, deployment.metadata.generation)
