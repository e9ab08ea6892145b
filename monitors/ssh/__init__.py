"""SSH collection: persistent transports, the fixed command and its parsers."""
