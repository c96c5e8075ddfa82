"""Ports: the shared infrastructure a service needs, and where each value is published."""

from __future__ import annotations

from functools import lru_cache

from model.session import ResourceKind

ATTRIBUTES: dict[ResourceKind, tuple[str, ...]] = {
    "event-bus": ("arn", "name"),
    "user-pool": ("arn", "id"),
    "bucket": ("arn", "name"),
    "table": ("arn", "name"),
    "queue": ("arn", "url"),
    "topic": ("arn",),
    "secret": ("arn",),
}
"""The values each kind of resource publishes for the services that need it."""

STAGE_PLACEHOLDER = "{stage}"
"""Stands for the deployment stage in parameter names until a stage is chosen."""


def parameter_name(app: str, resource_id: str, attribute: str, stage: str = STAGE_PLACEHOLDER) -> str:
    """The well-known SSM parameter a port value is published under."""
    return f"/{app}/{stage}/ports/{resource_id}/{attribute}"


def parameter_names(app: str, resource_id: str, kind: ResourceKind, stage: str = STAGE_PLACEHOLDER) -> tuple[str, ...]:
    """Every parameter of one port, in attribute order."""
    return _parameter_names(app, resource_id, kind, stage)


@lru_cache(maxsize=1 << 12)  # every derivation names the ports of every service
def _parameter_names(app: str, resource_id: str, kind: ResourceKind, stage: str) -> tuple[str, ...]:
    return tuple(parameter_name(app, resource_id, attribute, stage) for attribute in ATTRIBUTES[kind])
