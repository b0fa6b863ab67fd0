"""The subcommands of the ``routekit`` command line, one module each.

Each module has ``register(subparsers)``, which adds its parser and sets ``func``, a callable that takes
the parsed arguments and returns the exit status.
"""
