"""The modules that the book's chapter-4 scripts import from their own folder."""
