"""Step 5: reading a run: metrics from first principles, validation, plots, a diagnosis."""
