#!/usr/bin/env python
"""Django's command-line utility; same as the ``partnerprogram`` console script."""

import sys

from partnerprogram.cli import main

if __name__ == "__main__":
    main(sys.argv)
