"""For instructors: the offline workshop pack, each laptop's readiness, the class view, the doctor."""
