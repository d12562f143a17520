"""Output formats. Each renderer only reads an Assessment."""
