"""pykro: Kube Resource Orchestrator in Python."""

import logging

__version__ = "0.1.0"

# A library logs only where its user configured logging (`pykro run`/`up` do): without this, Python's
# last-resort handler would print pykro's warnings on the stderr of one-shot commands and library users.
logging.getLogger(__name__).addHandler(logging.NullHandler())
