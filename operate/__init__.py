"""What an operations team runs: launchers, the health probe, the broker's
users and topology, backups and the local RabbitMQ cluster.

``operate`` may use the services' code (it starts them, and reads their
declarations to write the topology manifest); the ``hotline`` client may not.
``operate`` never imports ``hotline``: the client lists operate's commands in
its one registry (``hotline/cli.py``), so ``hotline run`` and ``hotline-ops run``
are the same command.
"""
import warnings

# nameko runs on eventlet, which announces its deprecation on import; an
# operator needs the answers, not that banner.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
