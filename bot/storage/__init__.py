"""Database access as plain functions on a SQLModel `Session`; the caller owns the transaction."""
