"""``python -m routekit`` runs the command line."""

import sys

from routekit.cli import main

sys.exit(main())
