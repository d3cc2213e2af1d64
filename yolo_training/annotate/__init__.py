"""Step 2: annotating in Label Studio (its server, its API, its export) and the offline box editor."""
