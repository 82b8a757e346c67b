"""The modules that the book's chapter-2 scripts import from their own folder."""
