"""Reading the data files: YAML with line numbers, validation into models, the bundled
folders, atomic writes and the start-up cache of the compiled knowledge base."""
