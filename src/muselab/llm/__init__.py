"""Answer backends: the offline composer and LLMs (any OpenAI-compatible server, an embedded llama.cpp model).

Every backend's text goes through the grounding verifier and repair before a
user sees it (muselab.answer.pipeline).
"""
