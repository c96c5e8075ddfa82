"""YAML text for exported files: block style, keys in the order given, unicode kept."""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _SafeDumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _SafeDumper  # type: ignore[assignment]


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Dumper(_SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value used twice is written twice: anchors confuse readers and some tools

    def represent_data(self, data: Any) -> yaml.Node:
        """The nodes PyYAML's safe representer builds with `dump_yaml`'s settings, faster.

        Exports are mostly strings, dicts and lists, and the generic path looks each
        value's type up in tables and checks for aliases first: half of a big export's time.
        """
        kind = type(data)
        if kind is str:
            return yaml.ScalarNode(_STR, data)
        if kind is dict:
            pairs = [(self.represent_data(key), self.represent_data(value)) for key, value in data.items()]
            return yaml.MappingNode(_MAP, pairs, flow_style=False)
        if kind is list:
            return yaml.SequenceNode(_SEQ, [self.represent_data(item) for item in data], flow_style=False)
        return super().represent_data(data)


def dump_yaml(data: Any, header: str = "") -> str:
    """`data` as YAML; every string is quoted where YAML would read it as something else."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 20, default_flow_style=False)
    return header + text
