"""pykro's controllers: the RGD controller (`pykro.controller.rgd`), the GraphRevision controller
(`pykro.controller.graphrevision`), the instance controllers (`pykro.controller.instance`) and the
manager that runs them together (`pykro.controller.manager`). They are built on the controller
toolkit, `pykro.toolkit`.

    from pykro.controller.manager import start_controller
    async with start_controller(Path("kubeconfig")) as manager:
        ...

This package imports nothing itself, so a module of it (say, the instance label selectors) is cheap
to import without the manager, its HTTP endpoints and aiohttp.
"""
