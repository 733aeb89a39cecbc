"""pykro's controllers: the RGD controller (`pykro.controller.rgd`), the GraphRevision controller
(`pykro.controller.graphrevision`), the instance controllers (`pykro.controller.instance`) and the
manager that runs them together (`pykro.controller.manager`). They are built on the controller
toolkit, `pykro.toolkit`.

    from pykro.controller import start_controller
    async with start_controller(Path("kubeconfig")) as manager:
        ...
"""

from pykro.controller.manager import Manager, ManagerOptions, start_controller

__all__ = ["Manager", "ManagerOptions", "start_controller"]
