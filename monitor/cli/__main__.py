"""``python -m monitor.cli`` runs the ``chanwatch`` command line."""

import sys

from monitor.cli import main

sys.exit(main())
