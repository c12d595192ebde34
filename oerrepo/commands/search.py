"""search commands of the oerrepo CLI."""

COMMANDS: list = []
