"""Custom fields: definitions (admin), values on writes and reads, filters and sorts on lists."""
