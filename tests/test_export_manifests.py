"""Port manifests: valid against their own JSON Schema, and saying what each service needs."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from exports.bundle import export
from model.derive import derive
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session


@pytest.fixture(scope="module", params=["ecommerce", "back-office", "hostile"])
def manifests(request, tmp_path_factory):
    session = hostile_session() if request.param == "hostile" else load_session(SAMPLES / f"{request.param}.yaml")
    folder = tmp_path_factory.mktemp(request.param)
    export(session, folder / "out", ["ports"], stage="qa")
    ports = folder / "out" / "ports"
    schema = json.loads((ports / "service-ports.schema.json").read_text(encoding="utf-8"))
    loaded = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in ports.glob("*.yaml")}
    return session, derive(session), schema, loaded


def test_every_manifest_validates_against_the_schema(manifests) -> None:
    _session, architecture, schema, loaded = manifests
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert set(loaded) == {service.id for service in architecture.services}
    for name, manifest in loaded.items():
        errors = sorted(validator.iter_errors(manifest), key=str)
        assert not errors, f"{name}: {errors[0].message}"


def test_the_schema_rejects_a_broken_manifest(manifests) -> None:
    _session, _architecture, schema, loaded = manifests
    broken = dict(loaded["platform"], requires=[{"port": "x"}])
    assert list(Draft202012Validator(schema).iter_errors(broken))


def test_manifests_say_what_each_service_needs_and_why(manifests) -> None:
    session, architecture, _schema, loaded = manifests
    for service in architecture.services:
        manifest = loaded[service.id]
        assert manifest["source"] == f"{session.app}.{service.id}"
        assert manifest["deploy"] == {
            "wave": architecture.wave_of(service.id),
            "after": list(architecture.predecessors(service.id)),
        }
        assert [port["port"] for port in manifest["requires"]] == [port.port for port in service.requires]
        for port in manifest["requires"]:
            assert all(
                path.startswith(f"/{session.app}/qa/ports/{port['port']}/") for path in port["parameters"].values()
            )
            assert port["reason"]
        assert [item["detail-type"] for item in manifest["publishes"]] == list(service.publishes)
        for item in manifest["subscribes"]:
            assert item["event-pattern"] == {"source": [item["source"]], "detail-type": [item["detail-type"]]}


def test_the_seed_example_manifest(tmp_path) -> None:
    export(load_session(SAMPLES / "back-office.yaml"), tmp_path / "out", ["ports"])
    hr = yaml.safe_load((tmp_path / "out" / "ports" / "hr.yaml").read_text(encoding="utf-8"))
    pool = next(port for port in hr["requires"] if port["port"] == "user-pool")
    assert pool == {
        "port": "user-pool",
        "kind": "user-pool",
        "provider": "finance",
        "parameters": {"arn": "/backoffice/dev/ports/user-pool/arn", "id": "/backoffice/dev/ports/user-pool/id"},
        "reason": "listed in uses",
    }
    assert hr["deploy"] == {"wave": 3, "after": ["finance", "platform"]}
    bus = next(port for port in hr["requires"] if port["port"] == "event-bus")
    assert bus["reason"] == "publishes 2 events, subscribes to 1"
