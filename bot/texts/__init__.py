"""User-facing Vietnamese texts, one module per audience."""
