"""One leader across replicas, and one polling process per database.

election: `LeaderElection` picks the replica that runs the outbox sender and the notice
scheduler. single_instance: `SingleInstanceGuard` refuses a second long-polling process.
advisory_locks: the connection plumbing both share (the lock queries: bot/storage/locks.py).
"""
