"""The sync endpoints: pull (what changed for this user), push (visits), media (resumable chunks).

The rules themselves live in the framework-free ``sync`` package; this domain stores and serves.
"""
