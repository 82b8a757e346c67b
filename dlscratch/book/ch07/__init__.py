"""The modules that the book's chapter-7 scripts import from their own folder."""
