"""Head office review of returned visits (R14): a queue, the flags, and the decisions."""
