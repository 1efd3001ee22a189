"""Adapters that put the knowledge base inside other frameworks; each imports its framework
only when it is imported itself (`from kb.integrations.llama_index import ClauseRetriever`)."""
