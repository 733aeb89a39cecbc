"""Reading the AST that cel-expr-python serializes.

`Expression.serialize()` returns a `google.protobuf.Any` holding a `cel.expr.CheckedExpr`
(checked) or `cel.expr.ParsedExpr` (parse only). No Python package ships those protos, so the
subset we read is declared here with descriptor_pb2 (field numbers from cel-spec
`cel/expr/syntax.proto` and `checked.proto`); unknown fields are skipped by the parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory

_FD = descriptor_pb2.FieldDescriptorProto


def _field(
    msg: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    kind: int,
    type_name: str = "",
    *,
    repeated: bool = False,
    oneof: int | None = None,
) -> None:
    f = msg.field.add(name=name, number=number, type=kind)
    f.label = _FD.LABEL_REPEATED if repeated else _FD.LABEL_OPTIONAL
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof


def _map(msg: descriptor_pb2.DescriptorProto, name: str, number: int, value_type: str) -> None:
    entry_name = "".join(p.capitalize() for p in name.split("_")) + "Entry"
    entry = msg.nested_type.add(name=entry_name)
    entry.options.map_entry = True
    _field(entry, "key", 1, _FD.TYPE_INT64)
    _field(entry, "value", 2, _FD.TYPE_MESSAGE, value_type)
    _field(msg, name, number, _FD.TYPE_MESSAGE, f".pykroast.{msg.name}.{entry_name}", repeated=True)


def _descriptor() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name="pykro/cel_ast.proto", package="pykroast", syntax="proto3")
    M, S, I64, I32, B, U64, D, BY = (
        _FD.TYPE_MESSAGE,
        _FD.TYPE_STRING,
        _FD.TYPE_INT64,
        _FD.TYPE_INT32,
        _FD.TYPE_BOOL,
        _FD.TYPE_UINT64,
        _FD.TYPE_DOUBLE,
        _FD.TYPE_BYTES,
    )
    p = ".pykroast."
    empty = file.message_type.add(name="Empty")
    del empty
    const = file.message_type.add(name="Constant")
    const.oneof_decl.add(name="kind")
    for name, num, kind in (
        ("null_value", 1, I32),
        ("bool_value", 2, B),
        ("int64_value", 3, I64),
        ("uint64_value", 4, U64),
        ("double_value", 5, D),
        ("string_value", 6, S),
        ("bytes_value", 7, BY),
    ):
        _field(const, name, num, kind, oneof=0)
    expr = file.message_type.add(name="Expr")
    expr.oneof_decl.add(name="expr_kind")
    ident = expr.nested_type.add(name="Ident")
    _field(ident, "name", 1, S)
    select = expr.nested_type.add(name="Select")
    _field(select, "operand", 1, M, p + "Expr")
    _field(select, "field", 2, S)
    _field(select, "test_only", 3, B)
    call = expr.nested_type.add(name="Call")
    _field(call, "target", 1, M, p + "Expr")
    _field(call, "function", 2, S)
    _field(call, "args", 3, M, p + "Expr", repeated=True)
    clist = expr.nested_type.add(name="CreateList")
    _field(clist, "elements", 1, M, p + "Expr", repeated=True)
    cstruct = expr.nested_type.add(name="CreateStruct")
    entry = cstruct.nested_type.add(name="Entry")
    _field(entry, "id", 1, I64)
    entry.oneof_decl.add(name="key_kind")
    _field(entry, "field_key", 2, S, oneof=0)
    _field(entry, "map_key", 3, M, p + "Expr", oneof=0)
    _field(entry, "value", 4, M, p + "Expr")
    _field(entry, "optional_entry", 5, B)
    _field(cstruct, "message_name", 1, S)
    _field(cstruct, "entries", 2, M, p + "Expr.CreateStruct.Entry", repeated=True)
    comp = expr.nested_type.add(name="Comprehension")
    _field(comp, "iter_var", 1, S)
    _field(comp, "iter_range", 2, M, p + "Expr")
    _field(comp, "accu_var", 3, S)
    _field(comp, "accu_init", 4, M, p + "Expr")
    _field(comp, "loop_condition", 5, M, p + "Expr")
    _field(comp, "loop_step", 6, M, p + "Expr")
    _field(comp, "result", 7, M, p + "Expr")
    _field(comp, "iter_var2", 8, S)
    _field(expr, "id", 2, I64)
    _field(expr, "const_expr", 3, M, p + "Constant", oneof=0)
    _field(expr, "ident_expr", 4, M, p + "Expr.Ident", oneof=0)
    _field(expr, "select_expr", 5, M, p + "Expr.Select", oneof=0)
    _field(expr, "call_expr", 6, M, p + "Expr.Call", oneof=0)
    _field(expr, "list_expr", 7, M, p + "Expr.CreateList", oneof=0)
    _field(expr, "struct_expr", 8, M, p + "Expr.CreateStruct", oneof=0)
    _field(expr, "comprehension_expr", 9, M, p + "Expr.Comprehension", oneof=0)

    typ = file.message_type.add(name="Type")
    typ.oneof_decl.add(name="type_kind")
    lt = typ.nested_type.add(name="ListType")
    _field(lt, "elem_type", 1, M, p + "Type")
    mt = typ.nested_type.add(name="MapType")
    _field(mt, "key_type", 1, M, p + "Type")
    _field(mt, "value_type", 2, M, p + "Type")
    ft = typ.nested_type.add(name="FunctionType")
    _field(ft, "result_type", 1, M, p + "Type")
    _field(ft, "arg_types", 2, M, p + "Type", repeated=True)
    at = typ.nested_type.add(name="AbstractType")
    _field(at, "name", 1, S)
    _field(at, "parameter_types", 2, M, p + "Type", repeated=True)
    _field(typ, "dyn", 1, M, p + "Empty", oneof=0)
    _field(typ, "null", 2, I32, oneof=0)
    _field(typ, "primitive", 3, I32, oneof=0)
    _field(typ, "wrapper", 4, I32, oneof=0)
    _field(typ, "well_known", 5, I32, oneof=0)
    _field(typ, "list_type", 6, M, p + "Type.ListType", oneof=0)
    _field(typ, "map_type", 7, M, p + "Type.MapType", oneof=0)
    _field(typ, "function", 8, M, p + "Type.FunctionType", oneof=0)
    _field(typ, "message_type", 9, S, oneof=0)
    _field(typ, "type_param", 10, S, oneof=0)
    _field(typ, "type", 11, M, p + "Type", oneof=0)
    _field(typ, "error", 12, M, p + "Empty", oneof=0)
    _field(typ, "abstract_type", 14, M, p + "Type.AbstractType", oneof=0)

    ref = file.message_type.add(name="Reference")
    _field(ref, "name", 1, S)
    _field(ref, "overload_id", 3, S, repeated=True)
    checked = file.message_type.add(name="CheckedExpr")
    _map(checked, "reference_map", 2, p + "Reference")
    _map(checked, "type_map", 3, p + "Type")
    _field(checked, "expr", 4, M, p + "Expr")
    parsed = file.message_type.add(name="ParsedExpr")
    _field(parsed, "expr", 2, M, p + "Expr")
    return file


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_descriptor())
_CheckedExpr = message_factory.GetMessageClass(_pool.FindMessageTypeByName("pykroast.CheckedExpr"))
_ParsedExpr = message_factory.GetMessageClass(_pool.FindMessageTypeByName("pykroast.ParsedExpr"))

_PRIMITIVES = {1: "bool", 2: "int", 3: "uint", 4: "double", 5: "string", 6: "bytes"}
_WELL_KNOWN = {1: "any", 2: "google.protobuf.Timestamp", 3: "google.protobuf.Duration"}


def _unpack(serialized: bytes, expected: str) -> Any:
    wrapper = any_pb2.Any()
    wrapper.ParseFromString(serialized)
    if not wrapper.type_url.endswith("/cel.expr." + expected):
        raise ValueError(f"unexpected serialized expression type {wrapper.type_url!r}")
    msg = (_CheckedExpr if expected == "CheckedExpr" else _ParsedExpr)()
    msg.ParseFromString(wrapper.value)
    return msg


@dataclass(frozen=True)
class CelType:
    """A checked CEL type. `kind`: primitive name, "dyn", "null_type", "timestamp", "duration",
    "list", "map", "message", "optional_type", "type", "error" or an abstract type name."""

    kind: str
    params: tuple[CelType, ...] = ()
    name: str = ""  # message full name for kind == "message"

    def __str__(self) -> str:
        """The type as cel-go renders it: `string`, `map(string, dyn)`, `optional_type(bool)`..."""
        if self.kind == "message":
            return self.name
        if self.params:
            return f"{self.kind}({', '.join(str(p) for p in self.params)})"
        return self.kind

    def contains(self, kind: str) -> bool:
        return self.kind == kind or any(p.contains(kind) for p in self.params)


DYN_TYPE = CelType("dyn")


def cel_type(t: Any) -> CelType:
    which = t.WhichOneof("type_kind")
    if which == "primitive" or which == "wrapper":
        return CelType(_PRIMITIVES.get(t.primitive if which == "primitive" else t.wrapper, "dyn"))
    if which == "well_known":
        wk = _WELL_KNOWN.get(t.well_known, "dyn")
        return CelType(
            {"google.protobuf.Timestamp": "timestamp", "google.protobuf.Duration": "duration"}.get(wk, "dyn")
        )
    if which == "list_type":
        return CelType("list", (cel_type(t.list_type.elem_type),))
    if which == "map_type":
        return CelType("map", (cel_type(t.map_type.key_type), cel_type(t.map_type.value_type)))
    if which == "message_type":
        name = t.message_type
        special = {
            "google.protobuf.Timestamp": "timestamp",
            "google.protobuf.Duration": "duration",
            "google.protobuf.Value": "dyn",
            "google.protobuf.Any": "dyn",
        }
        if name in special:
            return CelType(special[name])
        if name == "google.protobuf.Struct":
            return CelType("map", (CelType("string"), DYN_TYPE))
        if name == "google.protobuf.ListValue":
            return CelType("list", (DYN_TYPE,))
        return CelType("message", name=name)
    if which == "null":
        return CelType("null_type")
    if which == "type":
        return CelType("type", (cel_type(t.type),))
    if which == "abstract_type":
        return CelType(t.abstract_type.name, tuple(cel_type(p) for p in t.abstract_type.parameter_types))
    if which == "error":
        return CelType("error")
    if which == "type_param":
        return DYN_TYPE
    return DYN_TYPE


@dataclass(frozen=True)
class AstInfo:
    """What an expression refers to."""

    identifiers: tuple[str, ...]  # free identifiers, first-seen order (comprehension variables excluded)
    functions: tuple[str, ...]  # called function names; member calls on a dotted ident give `a.b.f` too
    paths: tuple[str, ...]  # field paths rooted at free identifiers, e.g. `deployment.metadata.name`


def _walk(
    expr: Any,
    bound: frozenset[str],
    idents: dict[str, None],
    funcs: dict[str, None],
    paths: dict[str, None],
    namespaced: frozenset[str],
) -> None:
    stack: list[tuple[Any, frozenset[str]]] = [(expr, bound)]
    while stack:
        e, scope = stack.pop()
        which = e.WhichOneof("expr_kind")
        if which == "ident_expr":
            if e.ident_expr.name not in scope:
                idents.setdefault(e.ident_expr.name, None)
                paths.setdefault(e.ident_expr.name, None)
        elif which == "select_expr":
            chain = _dotted(e)
            if chain is not None and chain.split(".", 1)[0] not in scope:
                root = chain.split(".", 1)[0]
                idents.setdefault(root, None)
                paths.setdefault(chain, None)
            else:
                stack.append((e.select_expr.operand, scope))
        elif which == "call_expr":
            call = e.call_expr
            stack.extend((a, scope) for a in reversed(call.args))
            if call.HasField("target"):
                chain = _dotted(call.target)
                qualified = f"{chain}.{call.function}" if chain is not None else ""
                if qualified and chain is not None and chain.split(".", 1)[0] not in scope:
                    funcs.setdefault(qualified, None)
                    if qualified in namespaced:
                        continue  # `hash.fnv64a(x)`: a function name, not a reference to `hash`
                funcs.setdefault(call.function, None)
                stack.append((call.target, scope))
            else:
                funcs.setdefault(call.function, None)
        elif which == "list_expr":
            stack.extend((a, scope) for a in reversed(e.list_expr.elements))
        elif which == "struct_expr":
            for entry in reversed(e.struct_expr.entries):
                stack.append((entry.value, scope))
                if entry.HasField("map_key"):
                    stack.append((entry.map_key, scope))
        elif which == "comprehension_expr":
            c = e.comprehension_expr
            inner = scope | {v for v in (c.iter_var, c.iter_var2, c.accu_var) if v}
            accu = scope | {c.accu_var}
            stack.append((c.result, accu))
            stack.append((c.loop_step, inner))
            stack.append((c.loop_condition, inner))
            stack.append((c.accu_init, scope))
            stack.append((c.iter_range, scope))


def _dotted(e: Any) -> str | None:
    parts: list[str] = []
    while e.WhichOneof("expr_kind") == "select_expr" and not e.select_expr.test_only:
        parts.append(e.select_expr.field)
        e = e.select_expr.operand
    if e.WhichOneof("expr_kind") != "ident_expr":
        return None
    parts.append(e.ident_expr.name)
    return ".".join(reversed(parts))


def _info(expr: Any, namespaced: frozenset[str] = frozenset()) -> AstInfo:
    idents: dict[str, None] = {}
    funcs: dict[str, None] = {}
    paths: dict[str, None] = {}
    _walk(expr, frozenset(), idents, funcs, paths, namespaced)
    return AstInfo(tuple(idents), tuple(f for f in funcs if not _is_operator(f)), tuple(paths))


def _is_operator(name: str) -> bool:
    # Operators and macro internals: `_+_`, `!_`, `-_`, `@in`, `_?._`, `@not_strictly_false`.
    return name[:1] in ("_", "@") or name in ("!_", "-_")


def parsed_info(serialized: bytes, namespaced: frozenset[str] = frozenset()) -> AstInfo:
    """References of a parse-only expression (`Env.compile(text, disable_check=True).serialize()`).

    `namespaced`: dotted function names (`hash.fnv64a`); a member call spelling one of them is a
    function call, not a reference to its first identifier.
    """
    return _info(_unpack(serialized, "ParsedExpr").expr, namespaced)


def parsed_expr(serialized: bytes) -> Any:
    """The root `Expr` message of a serialized parsed expression."""
    return _unpack(serialized, "ParsedExpr").expr


def checked_info(serialized: bytes) -> tuple[AstInfo, CelType]:
    """References and output type of a checked expression."""
    checked = _unpack(serialized, "CheckedExpr")
    root_id = checked.expr.id
    out = cel_type(checked.type_map[root_id]) if root_id in checked.type_map else DYN_TYPE
    return _info(checked.expr), out


def iter_types(t: CelType) -> Iterator[CelType]:
    yield t
    for p in t.params:
        yield from iter_types(p)


def _range_size(e: Any, unknown: int) -> int:
    which = e.WhichOneof("expr_kind")
    if which == "list_expr":
        return len(e.list_expr.elements)
    if which == "struct_expr":
        return len(e.struct_expr.entries)
    if (
        which == "call_expr"
        and e.call_expr.function in ("lists.range", "range")
        and len(e.call_expr.args) == 1
    ):
        arg = e.call_expr.args[0]
        if arg.WhichOneof("expr_kind") == "const_expr" and arg.const_expr.WhichOneof("kind") == "int64_value":
            return max(0, int(arg.const_expr.int64_value))
    return unknown


def _cost(e: Any, unknown: int) -> int:
    which = e.WhichOneof("expr_kind")
    if which == "comprehension_expr":
        c = e.comprehension_expr
        size = _range_size(c.iter_range, unknown)
        body = 1 + _cost(c.loop_condition, unknown) + _cost(c.loop_step, unknown)
        return (
            _cost(c.iter_range, unknown)
            + _cost(c.accu_init, unknown)
            + size * body
            + _cost(c.result, unknown)
        )
    if which == "select_expr":
        return _cost(e.select_expr.operand, unknown)
    if which == "call_expr":
        total = 1 + sum(_cost(a, unknown) for a in e.call_expr.args)
        if e.call_expr.HasField("target"):
            total += _cost(e.call_expr.target, unknown)
        return total
    if which == "list_expr":
        return 1 + sum(_cost(a, unknown) for a in e.list_expr.elements)
    if which == "struct_expr":
        return 1 + sum(
            _cost(x.value, unknown) + (_cost(x.map_key, unknown) if x.HasField("map_key") else 0)
            for x in e.struct_expr.entries
        )
    return 0


def estimate_iterations(serialized: bytes, unknown_range_size: int) -> int:
    """A static upper estimate of the work of a checked expression (comprehension steps and calls)."""
    expr = _unpack(serialized, "CheckedExpr").expr
    try:
        return int(_cost(expr, unknown_range_size))
    except RecursionError:
        return 2**62
