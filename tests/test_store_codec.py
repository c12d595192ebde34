"""The JSON text the store keeps: the same text the standard library wrote, and every text
earlier versions stored still readable."""

from __future__ import annotations

import json
import math
from pathlib import Path

from oerrepo.store.codec import dumps, loads

SAMPLES = Path(__file__).resolve().parents[1] / "oerrepo" / "samples" / "blueprints.json"


def _standard(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_records_are_written_as_the_standard_library_wrote_them():
    # What earlier versions stored compares equal, byte for byte, with what is written now.
    records = json.loads(SAMPLES.read_text(encoding="utf-8"))
    assert len(records) > 3
    extra = {"name": {"el": "Ενέργεια", "de": "Kräuter „Garten“", "pl": "Źródła"}, "n": [0, -1, 2**63 - 1],
             "nested": {"a": [{"b": None, "c": True}]}, "quote": 'say "hi"\n\ttab \\ slash </script>',
             "emoji": "🌍 SDG 13"}
    for value in [*records, extra]:
        assert dumps(value) == _standard(value)
        assert loads(dumps(value)) == value


def test_values_orjson_refuses_are_written_and_read_all_the_same():
    for value in ({"big": 2**70}, {"text": "half a pair \ud800"}):
        assert dumps(value) == _standard(value)
    assert loads('{"big":1180591620717411303424}') == {"big": 2**70}
    # A float NaN was written as NaN by the standard library: such a text stays readable.
    assert math.isnan(loads('{"x":NaN}')["x"])
    assert loads(b'{"a":1}') == {"a": 1}
