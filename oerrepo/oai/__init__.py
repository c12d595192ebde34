"""The repository's own OAI-PMH feed: request handling, XML rendering and resumption tokens."""
