"""The modules that the book's chapter-8 scripts import from their own folder."""
