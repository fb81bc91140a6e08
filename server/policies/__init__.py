"""Policies from the policy administration system (R4) and the salesperson registry (R5)."""
