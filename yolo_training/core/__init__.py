"""Step 0, under everything: the errors a student reads, generated folders, the project's paths, devices, the environment."""
