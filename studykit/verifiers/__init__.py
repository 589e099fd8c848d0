"""Verifiers: pure functions that compute every answer studykit prints; the only home of torch/sympy."""
