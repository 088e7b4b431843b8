"""`python -m archipel` is the `archipel` command."""

from archipel.cli.main import main

main()
