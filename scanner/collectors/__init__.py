"""Collectors: read Azure into the normalised inventory. They know Azure, not CJIS."""
