"""Wire schemas of the API responses (request bodies are the domain's input structs)."""
