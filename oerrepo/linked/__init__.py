"""Linked data: schema.org / LRMI graphs, JSON-LD, Turtle, N-Triples, RDF/XML and DCAT."""
