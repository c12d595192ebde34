"""linked commands of the oerrepo CLI."""

COMMANDS: list = []
