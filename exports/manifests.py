"""Port manifests: one file per service saying what it needs, provides, sends and receives.

A manifest is the service's contract with the platform and with its neighbours; its JSON
Schema comes from the pydantic models below and is written beside the manifests.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from exports.context import ExportContext
from exports.yamltext import dump_yaml
from model.derive import Service
from model.ports import ATTRIBUTES
from model.session import FieldType, ResourceKind

SCHEMA_FILE = "service-ports.schema.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RequiredPort(_Strict):
    """A shared resource this service reads, by its well-known parameter names."""

    port: str
    kind: ResourceKind
    provider: str = Field(description="The service that creates it and must be deployed first")
    parameters: dict[str, str] = Field(description="Port attribute -> SSM parameter name, stage filled in")
    reason: str = Field(description="Why the service needs it")


class ProvidedPort(_Strict):
    """A resource this service creates and publishes for others."""

    port: str
    kind: ResourceKind
    parameters: dict[str, str]
    consumers: list[str]


class Published(_Strict):
    """An event this service puts on the bus."""

    detail_type: str = Field(alias="detail-type")
    fields: dict[str, FieldType] = Field(description="The `detail` payload: field -> JSON Schema type")
    consumers: list[str]


class Subscribed(_Strict):
    """An event from another service this service reacts to."""

    source: str
    detail_type: str = Field(alias="detail-type")
    producer: str = Field(alias="from")
    commands: list[str] = Field(description="What this service runs when the event arrives")
    event_pattern: dict[str, Any] = Field(alias="event-pattern", description="The EventBridge rule's pattern")


class Deploy(_Strict):
    wave: int | None = Field(description="1-based deploy wave; null when the deploy graph has a cycle")
    after: list[str] = Field(description="Services that must be deployed first")


class Manifest(_Strict):
    """The ports of one service: portstorm's service-ports manifest, version 1."""

    manifest: str = "portstorm/service-ports/v1"
    app: str
    stage: str
    service: str
    name: str
    owner: str | None
    source: str = Field(description="The EventBridge `source` of everything it publishes")
    event_bus: str = Field(alias="event-bus", description="The bus it publishes to and subscribes on")
    requires: list[RequiredPort]
    provides: list[ProvidedPort]
    publishes: list[Published]
    subscribes: list[Subscribed]
    deploy: Deploy


def manifest(context: ExportContext, service: Service) -> Manifest:
    architecture = context.architecture

    def parameters(kind: ResourceKind, paths: tuple[str, ...]) -> dict[str, str]:
        return {
            attribute: path.replace("{stage}", context.stage)
            for attribute, path in zip(ATTRIBUTES[kind], paths, strict=True)
        }

    return Manifest(
        app=context.session.app,
        stage=context.stage,
        service=service.id,
        name=service.name,
        owner=service.owner,
        source=service.source,
        event_bus=context.bus_name,
        requires=[
            RequiredPort(
                port=port.port,
                kind=port.kind,
                provider=port.provider,
                parameters=parameters(port.kind, port.parameters),
                reason=port.reason,
            )
            for port in service.requires
        ],
        provides=[
            ProvidedPort(
                port=port.port,
                kind=port.kind,
                parameters=parameters(port.kind, port.parameters),
                consumers=list(port.consumers),
            )
            for port in service.provides
        ],
        publishes=[
            Published(
                detail_type=event,
                fields=dict(context.event(event).fields or {}),
                consumers=[flow.consumer for flow in context.flows_from(service.id) if flow.event == event],
            )
            for event in service.publishes
        ],
        subscribes=[
            Subscribed(
                source=f"{context.session.app}.{flow.producer}",
                detail_type=flow.event,
                producer=flow.producer,
                commands=list(flow.commands),
                event_pattern=context.event_pattern(flow.producer, [flow.event]),
            )
            for flow in context.flows_to(service.id)
        ],
        deploy=Deploy(wave=architecture.wave_of(service.id), after=list(architecture.predecessors(service.id))),
    )


def render_ports(context: ExportContext) -> dict[str, str]:
    files = {
        f"ports/{service.id}.yaml": dump_yaml(
            manifest(context, service).model_dump(mode="json", by_alias=True),
            header=f"# yaml-language-server: $schema={SCHEMA_FILE}\n",
        )
        for service in context.architecture.services
    }
    schema = Manifest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_FILE
    files[f"ports/{SCHEMA_FILE}"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return files
