"""Runtime: the embedded broker, Kafka client configuration, topics, worker processes."""
