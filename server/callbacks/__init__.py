"""Phone callbacks: the confirming callback after an approved visit (R14), its attempts and outcomes."""
