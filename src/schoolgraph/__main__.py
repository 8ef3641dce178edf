"""Run the command-line interface: ``python -m schoolgraph``."""

import sys

from schoolgraph.cli import main

sys.exit(main())
