"""The planner's pages: the dispatch board."""
