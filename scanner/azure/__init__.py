"""Azure plumbing: clouds, credentials, clients with retry and the read-only guard."""
