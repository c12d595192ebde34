"""Harvesting partner repositories over OAI-PMH: the harvest loop and one crosswalk per format."""
