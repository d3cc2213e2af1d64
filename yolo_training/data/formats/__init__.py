"""Dataset formats as their publishers ship them: recognising a folder or zip, and one reader per format."""
