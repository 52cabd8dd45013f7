"""nqf-hub core: config, serde and schemas, runtime, routing, recognition, delivery, CLI, SDK."""
__version__ = "0.1.0"
