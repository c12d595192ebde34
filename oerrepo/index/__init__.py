"""The full-text index: schema, language-aware analysis, writing and querying."""
