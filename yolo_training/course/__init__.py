"""The course itself: each chapter started in one call, its budgets, the students' version."""
