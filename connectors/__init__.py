"""Format adapters, one package per format, registered in the `nqf_hub.connectors` entry points."""
