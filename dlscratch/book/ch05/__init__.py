"""The modules that the book's chapter-5 scripts import from their own folder."""
