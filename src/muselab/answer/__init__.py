"""Answers: the Context (question + given sources), composers, the verifier, renderers."""
