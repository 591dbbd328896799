"""``python -m leverlab.cli``: the same command line as the ``leverlab`` script."""

from . import main

main()
