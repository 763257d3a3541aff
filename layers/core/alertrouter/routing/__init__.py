"""Pure routing: the route tree, grouping. No AWS, no HTTP."""
