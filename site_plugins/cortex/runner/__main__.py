"""``python -m cortex.runner experiments/<id>.md``: see :mod:`cortex.runner.run`."""

import sys

from cortex.runner.run import main

sys.exit(main())
