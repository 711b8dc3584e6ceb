"""muselab: an offline AI scientist for generative imaging.

question -> task -> models + papers -> grounded answer -> runnable workflow.
"""

__version__ = "0.1.0"
