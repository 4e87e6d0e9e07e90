"""Every user-facing Vietnamese text, one module per audience or feature."""
