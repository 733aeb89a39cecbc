"""Sample values from an OpenAPI v3 schema, and sample instances of an instance CRD (spec §7).

Follows kro's emulator: strings are `dummy-string-<0..999>` or a random `enum` value; integers fall in
[minimum, maximum) (default [0, 10000)); numbers in [minimum, maximum) (default [0, 100)); booleans
are random; arrays get minItems..maxItems items (default 1..3); objects are filled recursively
(every declared property, optional ones too); int-or-string yields an integer; oneOf/anyOf pick a
random branch. Beyond upstream, every value honours its schema's constraints where feasible:

- a field with a `default` gets that default (the value a user who omits the field would get);
- strings honour `pattern` (via `pykro.cli.regex_sample`), `format`, `minLength` and `maxLength`;
- numbers honour exclusive bounds and `multipleOf`; arrays honour `uniqueItems` and list-map keys;
- maps (`additionalProperties`) get one `key-<n>` entry, or `minProperties` entries.

`sample_instance` then validates the whole object against the CRD schema (including
`x-kubernetes-validations` CEL rules) and redraws up to `ATTEMPTS` times; what still fails is
returned as the sample's `problems` for the caller to report.
"""

from __future__ import annotations

import base64
import math
import random
import re
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.admission.validation import validate
from pykro.cli.regex_sample import UnsupportedPattern, compile_pattern, sample

ATTEMPTS = 20
MAX_DEPTH = 32  # schemas from `$ref`s may recurse; nothing below this depth is generated
_PATTERN_TRIES = 50
_NO_DEFAULT = object()
_SKIPPED = ("apiVersion", "kind", "metadata", "status")


@dataclass(frozen=True)
class SampleInstance:
    """A sample instance and the schema violations no redraw could avoid (empty when it validates)."""

    object: dict[str, Any]
    problems: tuple[str, ...] = ()


def instance_schema(crd: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The served (storage first) version name and its `openAPIV3Schema` of `crd`."""
    versions = [v for v in crd["spec"]["versions"] if v.get("served", True)] or list(crd["spec"]["versions"])
    version = next((v for v in versions if v.get("storage")), versions[0])
    return str(version["name"]), version.get("schema", {}).get("openAPIV3Schema", {})


def sample_instance(crd: Mapping[str, Any], rng: random.Random) -> SampleInstance:
    """A sample custom resource of `crd`: metadata.name `<kind lowercase>-sample`, namespace `default`
    for namespaced kinds, every schema field but `status` filled by `sample_value`."""
    spec = crd["spec"]
    names = spec["names"]
    version, schema = instance_schema(crd)
    metadata: dict[str, Any] = {"name": f"{str(names['kind']).lower()}-sample"}
    if spec.get("scope", "Namespaced") == "Namespaced":
        metadata["namespace"] = "default"
    header = {"apiVersion": f"{spec['group']}/{version}", "kind": names["kind"], "metadata": metadata}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    body: dict[str, Any] = {}
    causes: list[str] = []
    for _ in range(ATTEMPTS):
        body = {name: sample_value(sub, rng) for name, sub in properties.items() if name not in _SKIPPED}
        causes = [str(cause) for cause in validate({**header, **body}, None, schema)]
        if not causes:
            break
    return SampleInstance({**header, **body}, tuple(causes))


def sample_value(schema: Mapping[str, Any], rng: random.Random, depth: int = 0) -> Any:
    """A random value valid for `schema` (its `default` when it has one)."""
    default = schema.get("default", _NO_DEFAULT)
    if default is not _NO_DEFAULT and not (isinstance(default, Mapping) and schema.get("properties")):
        return default
    omit: frozenset[str] = frozenset()
    branches = [b for key in ("oneOf", "anyOf") for b in schema.get(key) or () if isinstance(b, Mapping)]
    if branches:
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        chosen = rng.choice(branches)
        schema = {**base, **chosen}
        # branches are usually `required` lists; leave out the fields only other branches require,
        # or the object would match several branches of a oneOf
        omit = frozenset(f for b in branches if b is not chosen for f in b.get("required") or ()) - frozenset(
            [*(chosen.get("required") or ()), *(base.get("required") or ())]
        )
    for part in schema.get("allOf") or ():
        if isinstance(part, Mapping):
            schema = {**schema, **part}
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return rng.choice(enum)
    if schema.get("x-kubernetes-int-or-string"):
        return _integer(schema, rng)
    kind = schema.get("type")
    if kind == "string":
        return _string(schema, rng)
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return _array(schema, rng, depth)
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        return _object(schema, rng, depth, omit)
    return {}  # untyped (x-kubernetes-preserve-unknown-fields): any value goes


def _int_field(schema: Mapping[str, Any], key: str) -> int | None:
    value = schema.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number_or_none(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _range(schema: Mapping[str, Any], low: float, high: float) -> tuple[float, float]:
    """[low, high) from `minimum`/`maximum`; a lone bound keeps the default width beside it."""
    minimum, maximum = _number_or_none(schema.get("minimum")), _number_or_none(schema.get("maximum"))
    width = high - low
    if minimum is not None and maximum is not None:
        return minimum, maximum
    if minimum is not None:
        return minimum, max(high, minimum + width)
    if maximum is not None:
        return (low if low < maximum else maximum - width), maximum
    return low, high


def _integer(schema: Mapping[str, Any], rng: random.Random) -> int:
    low_f, high_f = _range(schema, 0, 10000)
    low = math.ceil(low_f)
    if schema.get("exclusiveMinimum") and low == low_f:
        low += 1
    high = max(
        math.ceil(high_f) - 1, low
    )  # [min, max): the maximum itself is excluded, as upstream's rand.Intn
    step = _int_field(schema, "multipleOf")
    if step is not None and step > 0:
        first = math.ceil(low / step) * step
        return first + step * rng.randint(0, max((high - first) // step, 0))
    return rng.randint(low, high)


def _number(schema: Mapping[str, Any], rng: random.Random) -> float:
    low, high = _range(schema, 0, 100)
    value = low + rng.random() * (high - low) if high > low else low
    if schema.get("exclusiveMinimum") and value == low and high > low:
        value = (low + high) / 2
    step = _number_or_none(schema.get("multipleOf"))
    if step is not None and step > 0:
        value = math.ceil(value / step) * step
    elif low <= round(value, 2) < high and not (schema.get("exclusiveMinimum") and round(value, 2) == low):
        value = round(value, 2)  # readable samples when rounding stays in range
    return float(value)


def _string(schema: Mapping[str, Any], rng: random.Random) -> str:
    min_length = _int_field(schema, "minLength") or 0
    max_length = _int_field(schema, "maxLength")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        matched = _matching(pattern, min_length, max_length, rng)
        if matched is not None:
            return matched
    fmt = _FORMATS.get(str(schema.get("format", "")))
    text = fmt(rng) if fmt is not None else f"dummy-string-{rng.randrange(1000)}"
    if len(text) < min_length:
        text += "x" * (min_length - len(text))
    return text[:max_length] if max_length is not None else text


def _matching(pattern: str, min_length: int, max_length: int | None, rng: random.Random) -> str | None:
    """A string of `min_length..max_length` characters matching `pattern`, or None when none was found."""
    try:
        node = compile_pattern(pattern)
        with warnings.catch_warnings():  # Python's notes on Go-valid syntax (`[[:alpha:]]`) are noise here
            warnings.simplefilter("ignore", FutureWarning)
            checker: re.Pattern[str] | None = re.compile(pattern)
    except UnsupportedPattern:
        return None
    except re.error:
        checker = None  # a Go regexp Python cannot compile: trust the generator
    extra = max(6, min_length)
    for _ in range(_PATTERN_TRIES):
        text = sample(node, rng, extra)
        # a pattern not anchored at its end (`^https?://`) also matches longer strings: complete a bare
        # prefix for readability, or pad a string shorter than minLength
        longer = f"{text}dummy-string-{rng.randrange(1000)}"
        options = [longer, text] if text and not text[-1].isalnum() else [text, longer]
        options.append(longer + "x" * (min_length - len(longer)))
        for option in options if checker is not None else [text]:
            fits = len(option) >= min_length and (max_length is None or len(option) <= max_length)
            if fits and (checker is None or checker.search(option)):
                return option
    return None


def _array(schema: Mapping[str, Any], rng: random.Random, depth: int) -> list[Any]:
    items = schema.get("items")
    if depth >= MAX_DEPTH or not isinstance(items, Mapping):
        return []
    min_items, max_items = _int_field(schema, "minItems"), _int_field(schema, "maxItems")
    low = 1 if min_items is None else min_items
    high = max(3 if max_items is None else max_items, low)
    if min_items is None and max_items is not None:
        low = min(low, max_items)
    count = rng.randint(low, high)
    keys = schema.get("x-kubernetes-list-map-keys") or ()
    unique = bool(schema.get("uniqueItems")) or schema.get("x-kubernetes-list-type") == "set"
    out: list[Any] = []
    seen: list[Any] = []
    for _ in range(count * 10):
        if len(out) == count:
            break
        value = sample_value(items, rng, depth + 1)
        identity = [value.get(k) for k in keys] if keys and isinstance(value, Mapping) else value
        if (unique or keys) and identity in seen:
            continue  # defaults or enums can repeat: draw again
        seen.append(identity)
        out.append(value)
    return out


def _object(
    schema: Mapping[str, Any], rng: random.Random, depth: int, omit: frozenset[str]
) -> dict[str, Any]:
    if depth >= MAX_DEPTH:
        return {}
    properties: Mapping[str, Any] = schema.get("properties") or {}
    # an object default (often `{}`) is a base the declared properties are filled into
    out = dict(schema.get("default") or {})
    out.update(
        (name, sample_value(sub, rng, depth + 1))
        for name, sub in properties.items()
        if name not in out and name not in omit
    )
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping) and not properties:
        wanted = _int_field(schema, "minProperties")
        wanted = 1 if wanted is None else wanted
        limit = _int_field(schema, "maxProperties")
        if limit is not None:
            wanted = min(wanted, limit)
        while len(out) < wanted:
            out[f"key-{rng.randrange(1000)}"] = sample_value(extra, rng, depth + 1)
    return out


def _date_time(rng: random.Random) -> str:
    return (
        f"20{rng.randint(20, 30)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    )


_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "date-time": _date_time,
    "datetime": _date_time,
    "date": lambda rng: _date_time(rng)[:10],
    "uuid": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "ipv4": lambda rng: f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}",
    "ipv6": lambda rng: f"fd00::{rng.randrange(65536):x}",
    "cidr": lambda rng: f"10.{rng.randrange(256)}.0.0/16",
    "email": lambda rng: f"dummy-{rng.randrange(1000)}@example.com",
    "hostname": lambda rng: f"dummy-{rng.randrange(1000)}.example.com",
    "uri": lambda rng: f"https://dummy-{rng.randrange(1000)}.example.com/",
    "url": lambda rng: f"https://dummy-{rng.randrange(1000)}.example.com/",
    "byte": lambda rng: base64.b64encode(f"dummy-string-{rng.randrange(1000)}".encode()).decode(),
    "mac": lambda rng: ":".join(f"{rng.randrange(256):02x}" for _ in range(6)),
    "duration": lambda rng: f"{rng.randint(1, 59)}m",
}
