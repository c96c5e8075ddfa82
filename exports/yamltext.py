"""YAML text for exported files: block style, keys in the order given, unicode kept."""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _SafeDumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]


class _Dumper(_SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value used twice is written twice: anchors confuse readers and some tools


def dump_yaml(data: Any, header: str = "") -> str:
    """`data` as YAML; every string is quoted where YAML would read it as something else."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 20, default_flow_style=False)
    return header + text
