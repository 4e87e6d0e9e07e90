"""Every database query, as functions that take the caller's Session (the caller owns the transaction)."""
