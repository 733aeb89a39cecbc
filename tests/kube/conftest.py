from tests.kube.live import client, server  # noqa: F401  (fixtures shared with tests/toolkit)
