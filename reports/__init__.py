"""Results store, tables, plots and the markdown reports compiled from them."""
