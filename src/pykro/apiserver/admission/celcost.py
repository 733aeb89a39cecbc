"""Static cost of a CRD's `x-kubernetes-validations` rules, estimated as kube-apiserver does at CRD write.

kube-apiserver refuses a CustomResourceDefinition whose rule (or messageExpression) has an estimated
cost over `STATIC_ESTIMATED_COST_LIMIT`, or whose rules together cost over
`STATIC_ESTIMATED_CRD_COST_LIMIT` (apiextensions `validation.go`). A rule's cost is cel-go's worst-case
estimate of one evaluation times the number of times the schema node can occur in an object.

Sizes come from the schema as in apiserver's `SchemaDeclType`: `maxItems`, `maxProperties` and
`maxLength` where declared; otherwise the most that fits in a 3 MiB request given the minimum
serialized size of one element (`{}` plus each required property without default for objects).

This is an approximation of cel-go's `checker/cost.go` over the parsed AST (cel-expr-python exposes
no cost estimator): comprehensions cost range size × (condition + step), nested ones multiply;
`&&`/`||` add both sides, `?:` takes the dearer branch; string and list equality and traversals
(`lowerAscii`, `split`, ...) cost a tenth of the string's size, `startsWith`/`endsWith` a tenth of the
prefix's, `contains` a tenth of both sizes' product, `matches` that of the string times a quarter of
the pattern's; `has()` costs its operand only (kube disables cel-go's presence-test cost). Where
cel-go knows no size (values under `x-kubernetes-preserve-unknown-fields`, results of most functions)
this uses the 3 MiB worst case too, where cel-go would use an unbounded size: a rule that iterates
over such data once is accepted here, as long as nothing nests inside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pykro.apiserver.machinery.status import Cause
from pykro.cel.compiler import parse_ast
from pykro.cel.errors import CelError

STATIC_ESTIMATED_COST_LIMIT = 10_000_000  # per rule
STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000  # per schema, all rules and messageExpressions
MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024
_UNBOUNDED_STRING = MAX_REQUEST_SIZE_BYTES - 2  # less the quotes
_FORMAT_SIZES = {"date": 12, "date-time": 34, "duration": 34}  # JSON sizes, apiserver cel/types.go
_TRAVERSAL_FACTOR = 0.1  # cel-go common.StringTraversalCostFactor
_REGEX_FACTOR = 0.25  # cel-go common.RegexStringLengthCostFactor
# Functions that traverse their target once (cel-go and the Kubernetes libraries cost them so).
_TRAVERSING = frozenset(
    {"lowerAscii", "upperAscii", "trim", "split", "replace", "indexOf", "lastIndexOf", "substring",
     "join", "charAt", "reverse", "format", "find", "findAll", "isSorted", "sum", "min", "max", "url",
     "isURL", "quantity", "isQuantity"}
)  # fmt: skip
_SUGGESTION = (
    "(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, "
    "and strings are declared)"
)


@dataclass(frozen=True)
class _Value:
    """What the estimator knows of an expression's value: its schema and/or its largest size."""

    schema: Mapping[str, Any] | None = None
    size: int | None = None


def min_serialized_size(schema: Mapping[str, Any]) -> int:
    """The fewest JSON bytes a value of this schema takes (apiserver `DeclType.MinSerializedSize`)."""
    kind = schema.get("type")
    if kind == "object" and isinstance(schema.get("properties"), Mapping):
        raw = schema.get("required")
        required: list[Any] = raw if isinstance(raw, list) else []
        size = 2
        for name, prop in schema["properties"].items():
            if name in required and isinstance(prop, Mapping) and "default" not in prop:
                size += len(name) + min_serialized_size(prop) + 4
        return size
    if kind == "boolean":
        return 4
    if kind in ("object", "array", "string"):
        return 2
    return 1


def max_size(schema: Mapping[str, Any]) -> int | None:
    """The most elements (arrays, maps) or characters (strings) a value of this schema may hold."""
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        bound = schema.get("maxItems")
        if isinstance(bound, int):
            return max(0, bound)
        return _UNBOUNDED_STRING // (min_serialized_size(items if isinstance(items, Mapping) else {}) + 1)
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        bound = schema.get("maxProperties")
        if isinstance(bound, int):
            return max(0, bound)
        return _UNBOUNDED_STRING // (min_serialized_size(schema["additionalProperties"]) + 6)
    if kind == "string":
        bound = schema.get("maxLength")
        if isinstance(bound, int):
            return max(0, bound)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return max(len(str(v)) for v in enum)
        return _FORMAT_SIZES.get(str(schema.get("format")), _UNBOUNDED_STRING)
    return None


def _size(value: _Value) -> int:
    if value.size is not None:
        return value.size
    known = max_size(value.schema) if value.schema is not None else None
    return _UNBOUNDED_STRING // 3 if known is None else known


def _element(value: _Value) -> _Value:
    """What iterating over (or indexing) a list or map yields: its items, or its keys."""
    schema = value.schema
    if schema is None:
        return _Value()
    if schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
        return _Value(schema["items"])
    if schema.get("type") == "object":
        return _Value({"type": "string"})  # map keys
    return _Value()


def _field(value: _Value, name: str) -> _Value:
    schema = value.schema
    if schema is None:
        return _Value()
    props = schema.get("properties")
    if isinstance(props, Mapping) and isinstance(props.get(name), Mapping):
        return _Value(props[name])
    extra = schema.get("additionalProperties")
    return _Value(extra) if isinstance(extra, Mapping) else _Value()


def _traversal(size: int) -> int:
    return math.ceil(size * _TRAVERSAL_FACTOR)


def _cost(e: Any, scope: Mapping[str, _Value]) -> tuple[int, _Value]:
    which = e.WhichOneof("expr_kind")
    if which == "const_expr":
        kind = e.const_expr.WhichOneof("kind")
        text = getattr(e.const_expr, kind) if kind in ("string_value", "bytes_value") else ""
        return 0, _Value(size=len(text))
    if which == "ident_expr":
        return 1, scope.get(e.ident_expr.name, _Value())
    if which == "select_expr":
        cost, operand = _cost(e.select_expr.operand, scope)
        if e.select_expr.test_only:
            return cost, _Value(size=1)
        return cost + 1, _field(operand, e.select_expr.field)
    if which == "list_expr":
        parts = [_cost(x, scope)[0] for x in e.list_expr.elements]
        return 10 + sum(parts), _Value(size=len(parts))
    if which == "struct_expr":
        total = 30
        for entry in e.struct_expr.entries:
            total += _cost(entry.value, scope)[0]
            if entry.HasField("map_key"):
                total += _cost(entry.map_key, scope)[0]
        return total, _Value(size=len(e.struct_expr.entries))
    if which == "comprehension_expr":
        return _comprehension(e.comprehension_expr, scope)
    if which == "call_expr":
        return _call(e.call_expr, scope)
    return 0, _Value()


def _comprehension(c: Any, scope: Mapping[str, _Value]) -> tuple[int, _Value]:
    range_cost, iter_range = _cost(c.iter_range, scope)
    count = _size(iter_range)
    inner = {**scope, c.iter_var: _element(iter_range), c.accu_var: _Value(size=count)}
    init_cost = _cost(c.accu_init, scope)[0]
    body = _cost(c.loop_condition, inner)[0] + _cost(c.loop_step, inner)[0]
    result_cost, result = _cost(c.result, inner)
    return range_cost + init_cost + result_cost + count * body, result


def _call(call: Any, scope: Mapping[str, _Value]) -> tuple[int, _Value]:
    operands = ([call.target] if call.HasField("target") else []) + list(call.args)
    measured = [_cost(x, scope) for x in operands]
    costs = [m[0] for m in measured]
    values = [m[1] for m in measured]
    name = call.function
    if name in ("_&&_", "_||_"):
        return sum(costs), _Value(size=1)
    if name == "_?_:_" and len(costs) == 3:
        return costs[0] + max(costs[1], costs[2]), values[1]
    if name in ("_==_", "_!=_") and len(values) == 2:
        return 1 + sum(costs) + _traversal(min(_size(values[0]), _size(values[1]))), _Value(size=1)
    if name == "_+_" and len(values) == 2:
        joined = _size(values[0]) + _size(values[1])
        return 1 + sum(costs) + _traversal(joined), _Value(values[0].schema, joined)
    if name == "_[_]" and len(values) == 2:
        container = values[0].schema or {}
        extra = container.get("additionalProperties")
        if container.get("type") == "object":
            return 1 + sum(costs), _Value(extra) if isinstance(extra, Mapping) else _Value()
        return 1 + sum(costs), _element(values[0])
    if name == "@in" and len(values) == 2:
        return 1 + sum(costs) + _size(values[1]), _Value(size=1)
    if name in ("startsWith", "endsWith") and len(values) == 2:  # scans the prefix/suffix only
        return 1 + sum(costs) + _traversal(_size(values[1])), _Value(size=1)
    if name == "contains" and len(values) == 2:
        return 1 + sum(costs) + _traversal(_size(values[0]) * _size(values[1])), _Value(size=1)
    if name == "matches" and len(values) == 2:
        regex = math.ceil(_size(values[1]) * _REGEX_FACTOR)
        return 1 + sum(costs) + _traversal(_size(values[0])) * regex, _Value(size=1)
    if name in _TRAVERSING and values:
        return 1 + sum(costs) + _traversal(_size(values[0])), _Value(size=_size(values[0]))
    return 1 + sum(costs), _Value()


def expression_cost(expression: str, schema: Mapping[str, Any]) -> int | None:
    """The estimated worst-case cost of one evaluation at a node of `schema`; None if it does not parse."""
    try:
        root = parse_ast(expression)
    except CelError:
        return None  # compile errors are reported elsewhere (and cost nothing)
    scope = {"self": _Value(schema), "oldSelf": _Value(schema)}
    try:
        return _cost(root, scope)[0]
    except RecursionError:
        return 2**63


def _children(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name in sorted(props):
            if isinstance(props[name], Mapping):
                yield f".properties[{name}]", props[name]
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        yield ".additionalProperties", extra
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield ".items", items


def _multiplier(schema: Mapping[str, Any]) -> int | None:
    """How many of each child one value of `schema` holds (apiextensions `extractMaxElements`)."""
    if schema.get("type") == "array":
        bound = schema.get("maxItems")
        return max(0, bound) if isinstance(bound, int) else None
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        bound = schema.get("maxProperties")
        return max(0, bound) if isinstance(bound, int) else None
    return 1


def _rule_costs(
    schema: Mapping[str, Any], path: str, cardinality: int | None
) -> Iterator[tuple[str, str, int]]:
    """(field path, "rule" or "messageExpression", cost × how often the node can occur) per expression."""
    rules = schema.get("x-kubernetes-validations")
    if isinstance(rules, list):
        times = (
            cardinality
            if cardinality is not None
            else MAX_REQUEST_SIZE_BYTES // (min_serialized_size(schema) + 1)
        )
        for index, rule in enumerate(rules):
            if not isinstance(rule, Mapping):
                continue
            for key in ("rule", "messageExpression"):
                text = rule.get(key)
                cost = expression_cost(text, schema) if isinstance(text, str) and text.strip() else None
                if cost is not None:
                    # kube multiplies a rule's cost by the node's cardinality, not its messageExpression's
                    scaled = cost * times if key == "rule" else cost
                    yield f"{path}.x-kubernetes-validations[{index}].{key}", key, scaled
    factor = _multiplier(schema)
    child_cardinality = None if cardinality is None or factor is None else cardinality * factor
    for suffix, child in _children(schema):
        yield from _rule_costs(child, path + suffix, child_cardinality)


def format_exceeds(what: str, cost: int, limit: int) -> str:
    """apiextensions `getCostErrorMessage`."""
    factor = cost / limit
    if factor > 100:
        shown = "more than 100x"
    elif factor < 1.5:
        shown = f"{factor:f}x"
    else:
        shown = f"{factor:.1f}x"
    return f"{what} exceeds budget by factor of {shown} {_SUGGESTION}"


def check_schema_cost(schema: Mapping[str, Any], path: str, *, per_rule: bool = True) -> list[Cause]:
    """The Forbidden causes kube-apiserver gives a CRD schema whose rules are estimated too costly.

    `per_rule=False` checks the total only (kube exempts a schema an update leaves unchanged)."""
    causes: list[Cause] = []
    total = 0
    expensive: list[tuple[int, str]] = []
    for where, key, cost in _rule_costs(schema, path, 1):
        total += cost
        if per_rule and cost > STATIC_ESTIMATED_COST_LIMIT:
            what = "estimated rule cost" if key == "rule" else "estimated messageExpression cost"
            message = format_exceeds(what, cost, STATIC_ESTIMATED_COST_LIMIT)
            causes.append(Cause(where, f"Forbidden: {message}", "FieldValueForbidden"))
        if cost >= STATIC_ESTIMATED_CRD_COST_LIMIT // 100:  # rules under 1% of the limit are not named
            expensive.append((cost, where))
    if total > STATIC_ESTIMATED_CRD_COST_LIMIT:
        expensive.sort(key=lambda hit: -hit[0])
        for _cost_of, where in expensive[:4]:
            message = (
                "contributed to estimated rule & messageExpression cost total exceeding cost limit for "
                "entire OpenAPIv3 schema"
            )
            causes.append(Cause(where, f"Forbidden: {message}", "FieldValueForbidden"))
        what = (
            "x-kubernetes-validations estimated rule & messageExpression cost total for entire "
            "OpenAPIv3 schema"
        )
        message = format_exceeds(what, total, STATIC_ESTIMATED_CRD_COST_LIMIT)
        causes.append(Cause(path, f"Forbidden: {message}", "FieldValueForbidden"))
    return causes


def crd_rule_costs(crd: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[Cause]:
    """The rule-cost causes of a well-formed CRD (its versions all carry a schema).

    Like kube-apiserver, identical per-version schemas are checked once and named `spec.validation`
    (the internal form hoists them there), and a version whose schema an update (`old`) leaves
    unchanged is held to the total limit only (`suppressPerExpressionCost`)."""
    versions = crd["spec"]["versions"]
    schemas: list[Mapping[str, Any]] = [v["schema"]["openAPIV3Schema"] for v in versions]
    old_versions = ((old or {}).get("spec") or {}).get("versions") or []
    old_schemas = {
        str(v.get("name")): (v.get("schema") or {}).get("openAPIV3Schema")
        for v in old_versions
        if isinstance(v, Mapping)
    }
    unchanged = [old_schemas.get(v["name"]) == schema for v, schema in zip(versions, schemas, strict=True)]
    if all(schema == schemas[0] for schema in schemas):
        return check_schema_cost(schemas[0], "spec.validation.openAPIV3Schema", per_rule=not all(unchanged))
    causes: list[Cause] = []
    for i, schema in enumerate(schemas):
        causes += check_schema_cost(
            schema, f"spec.versions[{i}].schema.openAPIV3Schema", per_rule=not unchanged[i]
        )
    return causes
