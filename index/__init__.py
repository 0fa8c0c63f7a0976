"""Index stage: embed, store, search and incrementally re-index records. Knows nothing of interviews."""
