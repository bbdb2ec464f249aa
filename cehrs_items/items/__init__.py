"""Item files: safe loading with a position map, and the item model."""

from cehrs_items.items.loader import LoadedDocument, load_document, load_document_text

__all__ = ["LoadedDocument", "load_document", "load_document_text"]
