"""Stage 1: a file's bytes to the plain text the extractor reads (decode, a PDF's text layer,
exporters' dialects: markup, page furniture, footnote markers), with a map back to the text."""
