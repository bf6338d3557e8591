"""Item2Vec product embeddings (gensim), customer and offer vectors, FAISS retrieval and the
embeddings' quality measures. docs/architecture.md §4 lists the modules."""
