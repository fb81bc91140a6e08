"""Users and their roles (R3). One person may hold several roles; a user belongs to one institution."""
