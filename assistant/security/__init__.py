"""What keeps customers apart and intruders out: login throttling, password hashing, the HTTP gate."""
