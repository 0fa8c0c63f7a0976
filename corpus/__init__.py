"""Corpus stage: load files, repair text, strip boilerplate, split into attributed Q/A records."""
