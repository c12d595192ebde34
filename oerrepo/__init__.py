"""oerrepo: an open educational resource repository.

Store blueprint resources with open-licence metadata, harvest partner repositories
over OAI-PMH, search them, serve an OAI-PMH feed and export linked data.
"""
