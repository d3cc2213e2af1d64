"""Step 6: a hyperparameter search with Optuna: its space, the study, the best trial trained."""
