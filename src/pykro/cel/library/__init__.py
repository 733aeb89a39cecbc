"""CEL function libraries for kro: kro's own, cel-go extensions and the Kubernetes libraries.

An environment is assembled from four pieces (see `new_env` for the whole recipe):
- `function_decls(enable_omit=...)`: every function implemented in Python (or forwarded to the
  bundled cel-cpp extensions, see `_delegate`);
- `extensions()`: the bundled cel-cpp extensions used as is (encoders, bindings, optional types);
- `env_config()`: enables the bundled two-variable comprehensions, reachable only through
  an `EnvConfig`;
- `to_cel_value(value)`: converts activation data for `dyn` variables (datetime/timedelta become
  protobuf Timestamp/Duration, which the engine accepts in `dyn` slots; `bytes` become `bytearray`,
  which the engine does not truncate at NUL bytes);
- `rewrite_macros(expr)`: must be applied to every expression before `compile`, because
  `transformMap`, `transformMapEntry` and `sortBy` are rewritten into supported forms and kro's
  `runtime.newCondition({type: ...})` macro is applied (see `conditions`).
"""

from __future__ import annotations

from collections.abc import Mapping

from cel_expr_python import cel
from cel_expr_python.ext.ext_bindings import ExtBindings
from cel_expr_python.ext.ext_encoders import ExtEncoders
from cel_expr_python.ext.ext_optional import ExtOptional

from pykro.cel.library import (
    compare,
    comprehensions,
    conditions,
    kro,
    lists,
    net,
    quantity,
    regex,
    semver,
    strings,
)
from pykro.cel.library._base import Fn, LibraryError, to_cel_value
from pykro.cel.library._opaque import kind_of as opaque_kind
from pykro.cel.library.comprehensions import ENV_CONFIG_YAML
from pykro.cel.library.conditions import CONDITION_TAG, MacroError, is_condition, rewrite_conditions
from pykro.cel.library.kro import OMIT_KEY, is_omit

__all__ = [
    "CONDITION_TAG",
    "ENV_CONFIG_YAML",
    "OMIT_KEY",
    "LibraryError",
    "MacroError",
    "env_config",
    "extensions",
    "function_decls",
    "is_condition",
    "is_omit",
    "new_env",
    "opaque_kind",
    "rewrite_macros",
    "to_cel_value",
]


def _all_functions(enable_omit: bool) -> list[Fn]:
    return [
        *kro.functions(enable_omit=enable_omit),
        *conditions.functions(),
        *strings.functions(),
        *lists.functions(),
        *comprehensions.functions(),
        *quantity.functions(),
        *semver.functions(),
        *compare.functions(),
        *net.functions(),
        *regex.functions(),
    ]


def rewrite_macros(expr: str) -> str:
    """The text to compile: kro's `runtime.newCondition` macro applied (raises `MacroError` when a call
    breaks its parse-time rules), then `transformMap`, `transformMapEntry` and `sortBy` rewritten."""
    return comprehensions.rewrite_macros(rewrite_conditions(expr))


def function_decls(enable_omit: bool = False) -> list[cel.FunctionDecl]:
    """Declarations (with implementations) of every library function, one decl per name."""
    grouped: dict[str, list[Fn]] = {}
    for item in _all_functions(enable_omit):
        grouped.setdefault(item.name, []).append(item)
    return [cel.FunctionDecl(name, [item.overload() for item in items]) for name, items in grouped.items()]


def extensions() -> list[cel.CelExtensionBase]:
    """Bundled cel-cpp extensions enabled as they are."""
    return [ExtEncoders(), ExtBindings(), ExtOptional()]


def env_config() -> cel.EnvConfig:
    """Environment config enabling the bundled two-variable comprehension macros."""
    return cel.NewEnvConfigFromYaml(ENV_CONFIG_YAML)


def new_env(
    variables: Mapping[str, cel.Type],
    *,
    enable_omit: bool = False,
    descriptor_pool: object | None = None,
    container: str | None = None,
) -> cel.Env:
    """A complete kro CEL environment. Compile `rewrite_macros(expr)`, not `expr`."""
    return cel.NewEnv(
        descriptor_pool=descriptor_pool,
        config=env_config(),
        variables=dict(variables),
        extensions=extensions(),
        container=container,
        functions=function_decls(enable_omit=enable_omit),
    )
