"""BibTeX side of bibbridge: reading users' .bib files (``reader``), writing and merging entries."""
