"""pykro's controllers: the runtime (`pykro.controller.runtime`), the RGD controller
(`pykro.controller.rgd`), the instance controllers (`pykro.controller.instance`) and the
manager that runs them together (`pykro.controller.manager`).

    from pykro.controller import start_controller
    async with start_controller(Path("kubeconfig")) as manager:
        ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pykro.controller.manager import Manager, ManagerOptions, start_controller

__all__ = ["Manager", "ManagerOptions", "start_controller"]


def __getattr__(name: str) -> Any:
    # Lazy: importing `pykro.controller.runtime` must not pull in the RGD and instance controllers.
    if name in __all__:
        from pykro.controller import manager

        return getattr(manager, name)
    raise AttributeError(name)
