"""The CLI's commands, one module per feature; each lists its commands in ``COMMANDS``."""
