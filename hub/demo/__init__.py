"""The end-to-end demo (`nqf-hub demo`)."""
