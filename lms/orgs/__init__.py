"""The organisation tree: country > oblast > district > precinct commission."""
