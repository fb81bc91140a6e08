"""Visits: what a specialist captured at the customer's home, as received from the tablet."""
