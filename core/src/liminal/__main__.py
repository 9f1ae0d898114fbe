"""``python -m liminal``."""

from liminal.cli import main

main()
