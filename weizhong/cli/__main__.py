"""``python -m weizhong.cli``."""

import sys

from weizhong.cli.main import main

sys.exit(main())
