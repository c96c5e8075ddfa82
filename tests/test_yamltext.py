"""The YAML text of exported files is what PyYAML's own safe representer writes."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from exports.yamltext import dump_yaml

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


class _PyYAMLsOwn(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # the emitter the export uses
    def ignore_aliases(self, data: Any) -> bool:
        return True


@given(DOCUMENTS)
def test_the_text_is_pyyamls_own_and_reads_back_as_the_data(data: Any) -> None:
    expected = yaml.dump(
        data, Dumper=_PyYAMLsOwn, sort_keys=False, allow_unicode=True, width=1 << 20, default_flow_style=False
    )
    assert dump_yaml(data) == expected
    assert yaml.safe_load(dump_yaml(data)) == data
