"""Delivery stage: outbound worker (encode + deliver + receipts), secrets, demo receiver."""
