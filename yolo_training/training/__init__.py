"""Step 4: models and their weights, settings, the train/resume/continue calls, progress, the panel, the run registry."""
