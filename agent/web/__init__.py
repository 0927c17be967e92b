"""What the agent serves: the HTTP listener (server.py), the status document behind
`/api/status` and `check --json` (status.py), and the status page at `/` (page.py)."""
