"""Search: task identification, model recommendation, paper retrieval."""
